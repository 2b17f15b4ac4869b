/* link.c: see link.h. */
#include "net/link.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"

bool cx_link_exists(const char *name)
{
    return if_nametoindex(name) != 0;
}

/* One request, its acknowledgement: 0 or -errno. */
static int rtnl_call(struct nlmsghdr *req)
{
    _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *) &sa, sizeof sa) < 0)
        return -errno;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < (ssize_t) sizeof(struct nlmsghdr))
        return n < 0 ? -errno : -EIO;
    struct nlmsghdr *h = (struct nlmsghdr *) buf;
    if (h->nlmsg_type != NLMSG_ERROR)
        return -EIO;
    return ((struct nlmsgerr *) NLMSG_DATA(h))->error;
}

int cx_link_delete(const char *name, cx_error *err)
{
    unsigned idx = if_nametoindex(name);
    if (idx == 0)
        return 0;
    struct {
        struct nlmsghdr h;
        struct ifinfomsg i;
    } req = {
        .h = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_DELLINK,
               .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 1 },
        .i = { .ifi_family = AF_UNSPEC, .ifi_index = (int) idx },
    };
    int rc = rtnl_call(&req.h);
    if (rc < 0 && rc != -ENODEV)
        return cx_fail(err, -rc, "delete the network device %s", name);
    return 0;
}

int cx_link_lo_up(void)
{
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = { 0 };
    strcpy(ifr.ifr_name, "lo");
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return -errno;
    ifr.ifr_flags |= IFF_UP;
    return ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}
