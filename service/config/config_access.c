/* Who may use the daemon: the bearer token (where it comes from, how
 * strong it must be) and the Host names it answers to.
 *
 * Apart from config.c because these are checks across settings, made
 * once after flags and variables are read, and because the Host rule is
 * also asked per request by the API (wm_config_host_allowed). The rule
 * against DNS rebinding is that a browser names the host it thinks it
 * talks to in Host (and in Origin): a page of evil.example whose name
 * was re-pointed at 127.0.0.1 still says evil.example, and is refused. */
#include "wm_config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* A token file is one line; anything much longer is not a token file. */
#define TOKEN_FILE_MAX 4096

#define HOST_MAX 256

typedef struct authority {
    char host[HOST_MAX]; /* as written; "[::1]" keeps its brackets */
    unsigned port;       /* 0 when none was written */
} authority;

static bool host_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

/* "host", "host:port", "[v6]" or "[v6]:port" in text[0..len). */
static int parse_authority(const char *text, size_t len, authority *out)
{
    size_t hlen = 0;
    if (len > 0 && text[0] == '[') {
        const char *close = memchr(text, ']', len);
        if (!close)
            return -1;
        hlen = (size_t)(close - text) + 1;
        for (size_t i = 1; i + 1 < hlen; i++)
            if (!isxdigit((unsigned char)text[i]) && text[i] != ':' &&
                text[i] != '.')
                return -1;
    } else {
        while (hlen < len && host_char(text[hlen]))
            hlen++;
    }
    if (hlen == 0 || hlen >= HOST_MAX || (hlen == 2 && text[0] == '['))
        return -1;
    memcpy(out->host, text, hlen);
    out->host[hlen] = '\0';
    out->port = 0;
    if (hlen == len)
        return 0;
    if (text[hlen] != ':' || len - hlen < 2 || len - hlen > 6)
        return -1;
    unsigned port = 0;
    for (size_t i = hlen + 1; i < len; i++) {
        if (!isdigit((unsigned char)text[i]))
            return -1;
        port = port * 10 + (unsigned)(text[i] - '0');
    }
    if (port == 0 || port > 65535)
        return -1;
    out->port = port;
    return 0;
}

/* Calls fn for each comma-separated entry of list, spaces trimmed; stops
 * at the first that returns non-zero and returns that. */
static int each_entry(const char *list, int (*fn)(const char *entry,
                                                  size_t len, void *ctx),
                      void *ctx)
{
    const char *s = list;
    while (*s) {
        const char *end = strchrnul(s, ',');
        const char *a = s, *b = end;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        int rc = fn(a, (size_t)(b - a), ctx);
        if (rc != 0)
            return rc;
        s = *end ? end + 1 : end;
    }
    return 0;
}

static int entry_valid(const char *entry, size_t len, void *ctx)
{
    authority a;
    (void)ctx;
    bool ok = (len == 1 && entry[0] == '*') ||
              parse_authority(entry, len, &a) == 0;
    return ok ? 0 : 1;
}

typedef struct host_query {
    const authority *given;
    bool found;
} host_query;

static int entry_matches(const char *entry, size_t len, void *ctx)
{
    host_query *q = ctx;
    authority a;
    if (len == 1 && entry[0] == '*')
        q->found = true;
    else if (parse_authority(entry, len, &a) == 0 &&
             !strcasecmp(a.host, q->given->host) &&
             (a.port == 0 || a.port == q->given->port))
        q->found = true;
    return q->found;
}

/* The --listen host, "" for every interface. */
static void listen_host(const wm_config *cfg, char *buf, size_t len)
{
    const char *colon = strrchr(cfg->listen, ':');
    size_t hlen = colon ? (size_t)(colon - cfg->listen) : 0;
    snprintf(buf, len, "%.*s", (int)hlen, cfg->listen);
}

bool wm_config_host_allowed(const wm_config *cfg, unsigned port,
                            const char *text, unsigned default_port)
{
    authority given;
    if (!text || parse_authority(text, strlen(text), &given) != 0)
        return false;
    if (given.port == 0)
        given.port = default_port;
    static const char *const loopback[] = {"localhost", "127.0.0.1",
                                           "[::1]"};
    char listen[sizeof cfg->listen];
    listen_host(cfg, listen, sizeof listen);
    bool named = listen[0] && !strcasecmp(given.host, listen);
    for (size_t i = 0; i < sizeof loopback / sizeof *loopback; i++)
        named = named || !strcasecmp(given.host, loopback[i]);
    if (named && given.port == port)
        return true;
    host_query q = {.given = &given};
    each_entry(cfg->allowed_hosts, entry_matches, &q);
    return q.found;
}

/* The token file's one line, without its line end. */
static int read_token_file(wm_config *cfg, wm_error *err)
{
    int fd = open(cfg->token_file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = fd < 0 ? errno : EINVAL;
        if (fd >= 0)
            close(fd);
        return wm_error_param(err, WM_ERR_INVALID, "token-file",
                              "--token-file: cannot read '%s': %s",
                              cfg->token_file, strerror(e));
    }
    if (st.st_mode & 077)
        fprintf(stderr, "wiremeter serve: warning: the token file %s may be "
                        "read by other users (mode %03o); chmod 600 it\n",
                cfg->token_file, (unsigned)(st.st_mode & 0777));
    char buf[TOKEN_FILE_MAX];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    size_t len = n > 0 ? (size_t)n : 0;
    if (len && buf[len - 1] == '\n')
        len--;
    if (len && buf[len - 1] == '\r')
        len--;
    int rc = 0;
    if (n < 0 || len >= sizeof cfg->token || memchr(buf, '\0', len) ||
        memchr(buf, '\n', len))
        rc = wm_error_param(err, WM_ERR_INVALID, "token-file",
                            "--token-file: '%s' is not a token file (one "
                            "line of at most %d characters)",
                            cfg->token_file, WM_CONFIG_TOKEN_MAX - 1);
    else {
        memcpy(cfg->token, buf, len);
        cfg->token[len] = '\0';
    }
    explicit_bzero(buf, sizeof buf);
    return rc;
}

/* Never quotes the token: the message goes to logs. */
static int check_token(const wm_config *cfg, wm_error *err)
{
    size_t len = strlen(cfg->token);
    bool visible = true;
    for (size_t i = 0; i < len; i++)
        visible = visible && cfg->token[i] > 0x20 && cfg->token[i] < 0x7f;
    if (len >= WM_CONFIG_TOKEN_MIN && visible)
        return 0;
    const char *from = cfg->token_file[0] ? "--token-file" : "--token";
    return wm_error_param(err, WM_ERR_INVALID, from + 2,
                          "%s: the token (%zu characters%s) is too weak; "
                          "allowed: %d to %d visible ASCII characters, no "
                          "spaces (e.g. `openssl rand -hex 24`)",
                          from, len, visible ? "" : ", with spaces or "
                          "control characters", WM_CONFIG_TOKEN_MIN,
                          WM_CONFIG_TOKEN_MAX - 1);
}

int wm_config_access_load(wm_config *cfg, wm_error *err)
{
    if (cfg->token_file[0] && cfg->token[0])
        return wm_error_param(err, WM_ERR_INVALID, "token-file",
                              "--token-file: a token is given twice; give "
                              "--token (WIREMETER_TOKEN) or --token-file "
                              "(WIREMETER_TOKEN_FILE), not both");
    if (cfg->token_file[0] && read_token_file(cfg, err) != 0)
        return -1;
    if ((cfg->token[0] || cfg->token_file[0]) && check_token(cfg, err) != 0)
        return -1;
    if (cfg->protect_reads && !cfg->token[0])
        return wm_error_param(err, WM_ERR_INVALID, "protect-reads",
                              "--protect-reads: needs a token to protect "
                              "with; set --token-file (WIREMETER_TOKEN_FILE) "
                              "or WIREMETER_TOKEN");
    if (each_entry(cfg->allowed_hosts, entry_valid, NULL) != 0)
        return wm_error_param(err, WM_ERR_INVALID, "allowed-hosts",
                              "--allowed-hosts: '%.200s' is not valid; "
                              "allowed: HOST or HOST:PORT (a name, an IPv4 "
                              "address or an [IPv6] address), "
                              "comma-separated, or *", cfg->allowed_hosts);
    return 0;
}

void wm_config_hide_argument(char *arg)
{
    assert(arg);
    memset(arg, 'x', strlen(arg));
    fprintf(stderr, "wiremeter serve: warning: --token on the command line "
                    "can be read by other users of this host (ps) until "
                    "the daemon hides it; prefer --token-file "
                    "(WIREMETER_TOKEN_FILE) or WIREMETER_TOKEN\n");
}
