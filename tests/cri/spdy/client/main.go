// The client half of the SPDY interop check: the Go SPDY library that
// crictl and the kubelet use (moby/spdystream, from Debian's
// golang-github-docker-spdystream-dev) against spdy_echo, our frames and
// header blocks.  It upgrades as client-go does, opens streams named as
// remotecommand names them, waits for each reply, sends data of several
// sizes and checks it comes back, pings, and ends with GOAWAY.
//
// usage: client SPDY_ECHO_BINARY
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/moby/spdystream"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "client: "+format+"\n", args...)
	os.Exit(1)
}

// start runs the server on one end of a socket pair; the other is ours.
func start(bin string) (net.Conn, *exec.Cmd) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		fail("socketpair: %v", err)
	}
	theirs := os.NewFile(uintptr(fds[1]), "server")
	cmd := exec.Command(bin)
	cmd.Stdin = theirs
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fail("start %s: %v", bin, err)
	}
	theirs.Close()
	ours := os.NewFile(uintptr(fds[0]), "client")
	conn, err := net.FileConn(ours)
	if err != nil {
		fail("FileConn: %v", err)
	}
	ours.Close()
	return conn, cmd
}

func upgradeRequest(conn net.Conn, offers []string) *http.Response {
	req, _ := http.NewRequest("POST", "http://127.0.0.1:10010/exec/AbCdEf012-_xyz", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "SPDY/3.1")
	for _, o := range offers {
		req.Header.Add("X-Stream-Protocol-Version", o)
	}
	if err := req.Write(conn); err != nil {
		fail("write request: %v", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		fail("read response: %v", err)
	}
	// the server sends nothing more before the client's first frame
	if resp.StatusCode == http.StatusSwitchingProtocols && br.Buffered() != 0 {
		fail("%d bytes after the response head", br.Buffered())
	}
	return resp
}

// The checks client-go makes of the 101 answer, and the version.
func checkUpgrade(resp *http.Response) {
	conn := strings.ToLower(resp.Header.Get("Connection"))
	up := strings.ToLower(resp.Header.Get("Upgrade"))
	if resp.StatusCode != http.StatusSwitchingProtocols || !strings.Contains(conn, "upgrade") ||
		!strings.Contains(up, "spdy/3.1") {
		fail("not an upgrade: %d %q %q", resp.StatusCode, conn, up)
	}
	if v := resp.Header.Get("X-Stream-Protocol-Version"); v != "v4.channel.k8s.io" {
		fail("protocol %q", v)
	}
}

func payload(i int) []byte {
	n := i * 997
	if i == 7 {
		n = 3 << 20 // several data frames, cut in pieces on the way
	}
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(i + j*31)
	}
	return b
}

// One stream: create, wait for the reply, send, half-close, read back.
func exchange(sc *spdystream.Connection, i int, wg *sync.WaitGroup, errs chan<- error) {
	defer wg.Done()
	names := []string{"error", "stdin", "stdout", "stderr", "resize", "data"}
	h := http.Header{}
	h.Set("streamtype", names[i%len(names)])
	h.Set("port", strconv.Itoa(8000+i))
	h.Set("requestid", strconv.Itoa(i))
	s, err := sc.CreateStream(h, nil, false)
	if err != nil {
		errs <- fmt.Errorf("stream %d: create: %v", i, err)
		return
	}
	if err := s.WaitTimeout(10 * time.Second); err != nil {
		errs <- fmt.Errorf("stream %d: no reply: %v", i, err)
		return
	}
	want := payload(i)
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(s)
		got <- b
	}()
	for off := 0; off < len(want); off += 65536 {
		end := off + 65536
		if end > len(want) {
			end = len(want)
		}
		if _, err := s.Write(want[off:end]); err != nil {
			errs <- fmt.Errorf("stream %d: write: %v", i, err)
			return
		}
	}
	s.Close()
	select {
	case b := <-got:
		if !bytes.Equal(b, want) {
			errs <- fmt.Errorf("stream %d: %d bytes back, want %d", i, len(b), len(want))
		}
	case <-time.After(30 * time.Second):
		errs <- fmt.Errorf("stream %d: no echo", i)
	}
}

func refused(bin string) {
	conn, cmd := start(bin)
	resp := upgradeRequest(conn, []string{"v5.channel.k8s.io"})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "unable to upgrade") {
		fail("no common protocol: %d %q", resp.StatusCode, body)
	}
	conn.Close()
	if cmd.Wait() == nil {
		fail("the server exited 0 after refusing")
	}
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: client SPDY_ECHO_BINARY")
	}
	refused(os.Args[1])
	conn, cmd := start(os.Args[1])
	checkUpgrade(upgradeRequest(conn, []string{"v4.channel.k8s.io", "v3.channel.k8s.io",
		"v2.channel.k8s.io", "channel.k8s.io"}))
	sc, err := spdystream.NewConnection(conn, false)
	if err != nil {
		fail("NewConnection: %v", err)
	}
	go sc.Serve(spdystream.NoOpStreamHandler)
	if _, err := sc.Ping(); err != nil {
		fail("ping: %v", err)
	}
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go exchange(sc, i, &wg, errs)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fail("%v", err)
	}
	if _, err := sc.Ping(); err != nil {
		fail("ping after the streams: %v", err)
	}
	if err := sc.CloseWait(); err != nil {
		fail("close: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		fail("the server: %v", err)
	}
	fmt.Printf("client: %d streams echoed, pings answered, GOAWAY exchanged\n", n)
}
