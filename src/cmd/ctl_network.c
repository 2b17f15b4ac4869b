/* ctl_network.c: `capsactl network create/ls/inspect/rm/prune`: CNI bridge
 * networks (src/engine/networks.c), shown with podman 4.3's field names. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/ctr_net.h"
#include "engine/networks.h"

static json_t *network_json(const struct cx_network *n)
{
    char created[64];
    ctl_format_rfc3339(n->created, created, sizeof created);
    json_t *labels = json_loads(n->labels, 0, NULL);
    json_t *ctrs = json_array();
    for (size_t i = 0; i < n->ncontainers; i++)
        json_array_append_new(ctrs, json_string(n->containers[i]));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:b, s:b, s:b, s:{s:s}, "
                     "s:o, s:o}",
                     "name", n->name, "id", n->id, "driver", "bridge",
                     "network_interface", n->bridge, "created", created, "subnets",
                     "subnet", n->subnet, "gateway", n->gateway, "ipv6_enabled", false,
                     "internal", n->internal, "dns_enabled", false, "ipam_options", "driver",
                     "host-local", "labels", labels ? labels : json_object(),
                     "containers", ctrs);
}

static int network_create(struct cx_engine *e, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "subnet", required_argument, NULL, 's' }, { "gateway", required_argument, NULL, 'g' },
        { "internal", no_argument, NULL, 'i' }, { "label", required_argument, NULL, 'l' },
        { "driver", required_argument, NULL, 'd' }, { 0 },
    };
    json_auto_t *labels = json_object();
    struct cx_network_opts o = { 0 };
    int c;
    while ((c = getopt_long(argc, argv, "+d:l:", opts, NULL)) != -1)
        switch (c) {
        case 's': o.subnet = optarg; break;
        case 'g': o.gateway = optarg; break;
        case 'i': o.internal = true; break;
        case 'l': ctl_label_add(labels, optarg); break;
        case 'd':
            if (strcmp(optarg, "bridge") != 0)
                return cx_fail(err, EINVAL, "network create: --driver %s: only bridge",
                               optarg);
            break;
        default:
            return cx_fail(err, EINVAL, "network create: %s is not supported",
                           argv[optind - 1]);
        }
    if (argc - optind != 1)
        return cx_fail(err, EINVAL, "usage: capsactl network create [--subnet CIDR] "
                       "[--gateway IP] [--internal] [--label K=V] NAME");
    if (o.gateway && !o.subnet)
        return cx_fail(err, EINVAL, "network create: --gateway needs --subnet");
    _cleanup_free_ char *text = json_dumps(labels, JSON_COMPACT);
    o.labels_json = text;
    struct cx_network n;
    if (cx_network_create(e, argv[optind], &o, &n, err) < 0)
        return -1;
    printf("%s\n", n.name);
    cx_network_free(&n);
    return 0;
}

static int network_ls(struct cx_engine *e, int argc, char **argv, cx_error *err)
{
    bool quiet, json;
    if (ctl_ls_flags(argc, argv, "network ls", &quiet, &json, err) < 0)
        return -1;
    struct cx_network *v;
    size_t n;
    if (cx_network_list(e, &v, &n, err) < 0)
        return -1;
    json_auto_t *arr = json_array();
    if (!quiet && !json)
        printf("%-14s%-20s%s\n", "NETWORK ID", "NAME", "DRIVER");
    for (size_t i = 0; i < n; i++) {
        if (json)
            json_array_append_new(arr, network_json(&v[i]));
        else if (quiet)
            printf("%s\n", v[i].name);
        else
            printf("%-14.12s%-20s%s\n", v[i].id, v[i].name, "bridge");
    }
    if (json)
        ctl_print_json(arr);
    cx_networks_free(v, n);
    return 0;
}

static int network_inspect(struct cx_engine *e, int argc, char **argv, cx_error *err)
{
    if (argc < 2)
        return cx_fail(err, EINVAL, "usage: capsactl network inspect NETWORK...");
    json_auto_t *arr = json_array();
    for (int i = 1; i < argc; i++) {
        struct cx_network n;
        if (cx_network_get(e, argv[i], &n, err) < 0)
            return -1;
        json_array_append_new(arr, network_json(&n));
        cx_network_free(&n);
    }
    ctl_print_json(arr);
    return 0;
}

/* every network no container uses, but the default one */
static int network_prune(struct cx_engine *e, cx_error *err)
{
    struct cx_network *v;
    size_t n;
    if (cx_network_list(e, &v, &n, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (v[i].ncontainers == 0 && strcmp(v[i].name, CX_NETWORK_DEFAULT) != 0 &&
            (rc = cx_network_remove(e, v[i].name, err)) == 0)
            printf("%s\n", v[i].name);
    cx_networks_free(v, n);
    return rc;
}

int ctl_network(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    if (argc < 2)
        return cx_fail(err, EINVAL, "network: give a subcommand (create, ls, inspect, rm, "
                       "prune, connect, disconnect)");
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    const char *sub = argv[1];
    int rc;
    optind = 0;
    if (strcmp(sub, "create") == 0)
        rc = network_create(&e, argc - 1, argv + 1, err);
    else if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
        rc = network_ls(&e, argc - 1, argv + 1, err);
    else if (strcmp(sub, "inspect") == 0)
        rc = network_inspect(&e, argc - 1, argv + 1, err);
    else if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0)
        rc = ctl_remove_each(&e, argc - 2, argv + 2, cx_network_remove, err);
    else if (strcmp(sub, "prune") == 0)
        rc = network_prune(&e, err);
    else if (strcmp(sub, "connect") == 0 || strcmp(sub, "disconnect") == 0)
        rc = argc != 4 ? cx_fail(err, EINVAL, "usage: capsactl network %s NETWORK CONTAINER",
                                 sub)
           : sub[0] == 'c' ? cx_ctr_net_connect(&e, argv[3], argv[2], err)
                           : cx_ctr_net_disconnect(&e, argv[3], argv[2], err);
    else
        rc = cx_fail(err, EINVAL, "network: unknown subcommand \"%s\"", sub);
    cx_engine_close(&e);
    return rc;
}
