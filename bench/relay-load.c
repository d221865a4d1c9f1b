/*
 * Load client of bench/relay.sh, in C so that on a 2-core machine the
 * client takes as little CPU from the server as can be (one thread,
 * epoll, a minimal RFC 6455 client).
 *
 *   relay-load csq   <port> <plan file> <seconds> <fractions>
 *   relay-load nchan <port> <pairs>     <seconds> <fractions>
 *
 * csq: the plan's lines are "<conversation> <customer token> <agent>
 * <agent token>" (relay-setup.js); each customer socket sends, the agent
 * socket of its conversation receives (one socket per agent).
 * nchan: publisher socket /pub/<channel> (each publish answered with
 * the channel's info: the ack) and subscriber socket /sub/<channel>.
 *
 * Every sender keeps at most INFLIGHT messages not yet acknowledged.  A
 * first run goes as fast as that allows (the max), then one run at each
 * fraction of the max ("0.5,0.25"), rate-limited.  The send time rides in
 * the text; the receiver's clock minus it is the delivery latency.  Each
 * run prints
 *   RESULT <load> <target/s> <delivered/s> <p50 ms> <p99 ms> <sent> <lost>
 *          <errors> <nginx cpu%> <redis cpu%> <client cpu%> <rest%> <dup>
 * (lost: csq's acknowledged messages never delivered, by the ref each
 * carries (a refusal or a failed write is an error, not lost); nchan's
 * sent and never delivered; dup: delivered more than once, by the
 * message's sequence number), then "SLOW <load> <worst latency of each
 * second, ms ...>".  A fraction above 1 is an overload: its senders do not
 * wait for acks (open loop), only for their socket (a sender whose
 * unwritten frames pass OBUF_MAX skips its turn: "HELD <load> <skipped>"),
 * and after it the client waits up to a minute for the backlog: "DRAIN
 * <load> <ms from the end of sending to the last delivery>", "ACKED
 * <load> <the sends the server took>" and "REFUSED <load> <error frames>".
 * "<fraction>@<seconds>" gives a run its own length.
 * (100 = one core; rest: the machine's other busy time).  NGINX_PIDS and
 * REDIS_PIDS (env) say whose CPU to count; RELAY_DEBUG=1 adds p90, p99.9,
 * max and the worst latency of each 100 ms on stderr.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define INFLIGHT   8          /* un-acknowledged messages per sender */
#define WARMUP_MS  1000       /* the first second of a run is not counted */
#define DRAIN_MS   5000       /* how long a run waits for what is in flight */
#define RBUF       (256 * 1024)
#define MAXCONN    20000
#define OBUF_MAX   (1024 * 1024)  /* an overloading sender's own backlog */

enum { CSQ, NCHAN };

typedef struct {
    int       fd;
    int       pair;           /* its pair, for a sender */
    int       sender;
    int       inflight;
    size_t    rlen;
    char     *rbuf;
    size_t    olen;           /* bytes not yet written */
    char     *obuf;
} conn_t;

typedef struct {
    int       tx, rx;         /* conns */
} pair_t;

static int       target, port, nconns, npairs, epfd;
static conn_t    conns[MAXCONN];
static pair_t   *pairs;

/* the current run */
static int       sending, rate_mode, open_loop;
static long      held;
static double    t0, from, to;
static long      sent, delivered, in_window, errors, dups;
static uint8_t  *seen;               /* a bit per message, by its number */
static uint8_t  *acked;              /* the same: its ack came */
static long      seen_bits;
static long      nacked, pending;    /* acked, and acked not delivered */
static long      refused;            /* error frames */
static double   *lat, *slow;
static long      nlat, caplat, nslow;
static char      last_error[200];


static void
die(const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}


static double
now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}


/* --- frames */

/* a masked client frame of opcode op; written now or queued for EPOLLOUT */
static void
ws_send(conn_t *c, int op, const char *data, size_t len)
{
    static const unsigned char  mask[4] = { 0x5a, 0x17, 0xc3, 0x88 };
    unsigned char               frame[16 + 1024];
    size_t                      h, i;
    ssize_t                     n;

    if (len > 1024) {
        die("frame too large");
    }

    frame[0] = 0x80 | op;
    if (len < 126) {
        frame[1] = 0x80 | len;
        h = 2;
    } else {
        frame[1] = 0x80 | 126;
        frame[2] = len >> 8;
        frame[3] = len & 0xff;
        h = 4;
    }
    memcpy(frame + h, mask, 4);
    h += 4;
    for (i = 0; i < len; i++) {
        frame[h + i] = data[i] ^ mask[i & 3];
    }
    len += h;

    n = 0;
    if (c->olen == 0) {
        n = write(c->fd, frame, len);
        if (n < 0 && errno != EAGAIN) {
            snprintf(last_error, sizeof(last_error), "write: %s",
                     strerror(errno));
            errors++;
            return;
        }
        if (n < 0) {
            n = 0;
        }
    }

    if ((size_t) n < len) {       /* the rest waits for EPOLLOUT */
        c->obuf = realloc(c->obuf, c->olen + len - n);
        memcpy(c->obuf + c->olen, frame + n, len - n);
        c->olen += len - n;
        struct epoll_event ev = { EPOLLIN | EPOLLOUT, { .ptr = c } };
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
    }
}


static void
send_message(pair_t *p)
{
    conn_t  *c = &conns[p->tx];
    char     msg[256];
    int      n;

    c->inflight++;
    sent++;
    n = snprintf(msg, sizeof(msg), "{\"type\":\"message\",\"text\":\"b %ld "
                 "%.3f xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\","
                 "\"ref\":\"%ld\"}", sent, now_ms(), sent);
    ws_send(c, 0x1, msg, n);
}


static void
ack(conn_t *c)
{
    c->inflight--;
    if (sending && !rate_mode) {
        send_message(&pairs[c->pair]);
    }
}


/* room in the bitmaps for message number seq */
static void
grow(long seq)
{
    long  bits = seen_bits ? seen_bits : 1 << 20;

    if (seq < seen_bits) {
        return;
    }

    while (bits <= seq) bits *= 2;
    seen = realloc(seen, bits / 8);
    acked = realloc(acked, bits / 8);
    memset(seen + seen_bits / 8, 0, (bits - seen_bits) / 8);
    memset(acked + seen_bits / 8, 0, (bits - seen_bits) / 8);
    seen_bits = bits;
}


/* the ack of message number seq (its ref) */
static void
acked_one(const char *s)
{
    const char  *p = strstr(s, "\"ref\":\"");
    long         seq;

    if (p == NULL) return;
    seq = strtol(p + 7, NULL, 10);
    if (seq <= 0) return;
    grow(seq);
    if (acked[seq >> 3] & (1 << (seq & 7))) return;
    acked[seq >> 3] |= 1 << (seq & 7);
    nacked++;
    if (!(seen[seq >> 3] & (1 << (seq & 7)))) {
        pending++;
    }
}


static void
deliver(const char *text)
{
    double  t = now_ms(), at;
    long    b, seq;

    seq = strtol(text, NULL, 10);
    at = strtod(strchr(text, ' ') + 1, NULL);     /* "<seq> <ms> ..." */

    grow(seq);

    if (seq >= 0 && (seen[seq >> 3] & (1 << (seq & 7)))) {
        dups++;
        return;
    }

    if (seq >= 0) {
        seen[seq >> 3] |= 1 << (seq & 7);
        if (acked[seq >> 3] & (1 << (seq & 7))) {
            pending--;
        }
    }

    delivered++;

    if (t >= from && t < to) {
        in_window++;
    }

    if (at >= from && at < to) {
        if (nlat == caplat) {
            caplat = caplat ? caplat * 2 : 1 << 16;
            lat = realloc(lat, caplat * sizeof(double));
        }
        lat[nlat++] = t - at;

        b = (long) ((at - from) / 100);
        if (b < nslow && t - at > slow[b]) {
            slow[b] = t - at;
        }
    }
}


/* a text frame from the server */
static void
on_text(conn_t *c, char *s, size_t len)
{
    char  *p;

    s[len] = '\0';        /* put back by the caller */

    if (c->sender) {
        if (target == NCHAN) {
            ack(c);               /* the channel's info */

        } else if (strncmp(s, "{\"type\":\"ack\"", 13) == 0) {
            acked_one(s);
            ack(c);

        } else if (strncmp(s, "{\"type\":\"error\"", 15) == 0) {
            errors++;
            refused++;
            snprintf(last_error, sizeof(last_error), "%.190s", s);
            ack(c);
        }
        return;                   /* csq: its own message back, events */
    }

    if (target == CSQ && strncmp(s, "{\"type\":\"message\"", 17) != 0) {
        return;
    }
    p = strstr(s, "\"text\":\"b ");
    if (p) {
        deliver(p + 10);
    }
}


/* the frames in c's buffer; returns -1 once the connection is gone */
static int
on_readable(conn_t *c)
{
    ssize_t         n;
    size_t          pos, h, len;
    unsigned char  *b;

    for ( ;; ) {
        n = read(c->fd, c->rbuf + c->rlen, RBUF - 1 - c->rlen);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            snprintf(last_error, sizeof(last_error), "connection closed");
            errors++;
            epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
            return -1;
        }
        if (n < 0) {
            return 0;
        }
        c->rlen += n;

        pos = 0;
        while (c->rlen - pos >= 2) {
            b = (unsigned char *) c->rbuf + pos;
            len = b[1] & 0x7f;
            h = 2;
            if (len == 126) {
                if (c->rlen - pos < 4) break;
                len = (b[2] << 8) | b[3];
                h = 4;
            } else if (len == 127) {
                if (c->rlen - pos < 10) break;
                len = 0;
                for (int i = 0; i < 8; i++) len = (len << 8) | b[2 + i];
                h = 10;
            }
            if (len > RBUF - 16) die("frame of %zu bytes", len);
            if (c->rlen - pos < h + len) break;

            switch (b[0] & 0x0f) {
            case 0x1: {
                char  saved = b[h + len];   /* the next frame's first byte */
                on_text(c, (char *) b + h, len);
                b[h + len] = saved;
                break;
            }
            case 0x8:
                snprintf(last_error, sizeof(last_error), "close frame");
                errors++;
                break;
            case 0x9:             /* the server's ping */
                ws_send(c, 0xa, (char *) b + h, len);
                break;
            }
            pos += h + len;
        }
        memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
        c->rlen -= pos;
    }
}


static void
on_writable(conn_t *c)
{
    ssize_t  n = write(c->fd, c->obuf, c->olen);

    if (n > 0) {
        memmove(c->obuf, c->obuf + n, c->olen - n);
        c->olen -= n;
    }
    if (c->olen == 0) {
        struct epoll_event ev = { EPOLLIN, { .ptr = c } };
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
    }
}


/* --- opening: blocking, one socket at a time, before any run */

/* a frame read with blocking reads; 0 on a text frame */
static int
read_frame(conn_t *c, char **text, size_t *tlen)
{
    unsigned char  *b;
    size_t          h, len;
    ssize_t         n;
    struct pollfd   pfd = { c->fd, POLLIN, 0 };

    for ( ;; ) {
        b = (unsigned char *) c->rbuf;
        len = c->rlen >= 2 ? b[1] & 0x7f : 127;
        h = 2;
        if (len == 126) {
            len = c->rlen >= 4 ? (size_t) ((b[2] << 8) | b[3]) : 127;
            h = 4;
        }
        if (len < 127 || (h == 4 && c->rlen >= 4)) {
            if (c->rlen >= h + len) {
                /* hand the frame out, keep what follows */
                static char  out[RBUF];
                int          op = b[0] & 0x0f;
                memcpy(out, b + h, len);
                out[len] = '\0';
                memmove(c->rbuf, c->rbuf + h + len, c->rlen - h - len);
                c->rlen -= h + len;
                *text = out;
                *tlen = len;
                if (op == 0x9) ws_send(c, 0xa, out, len);
                return op == 0x1 ? 0 : 1;
            }
        }
        if (poll(&pfd, 1, 20000) <= 0) die("no frame in 20 s");
        n = read(c->fd, c->rbuf + c->rlen, RBUF - 1 - c->rlen);
        if (n <= 0) die("connection closed while opening");
        c->rlen += n;
    }
}


static int
ws_open(const char *path, const char *extra)
{
    conn_t              *c;
    char                 req[2048], *end;
    int                  fd, one = 1;
    ssize_t              n;
    struct sockaddr_in   sin;

    if (nconns == MAXCONN) die("too many sockets");

    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0) {
        die("connect: %s", strerror(errno));
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (getenv("RELAY_SNDBUF")) {     /* a client's own send buffer */
        int  sz = atoi(getenv("RELAY_SNDBUF"));
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    }

    n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n"
                 "Host: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n%s\r\n", path, port, extra);
    if (write(fd, req, n) != n) die("write: %s", strerror(errno));

    c = &conns[nconns];
    c->fd = fd;
    c->rbuf = malloc(RBUF);
    c->rlen = 0;

    /* the 101's head; what follows it stays in the buffer */
    for ( ;; ) {
        n = read(fd, c->rbuf + c->rlen, RBUF - 1 - c->rlen);
        if (n <= 0) die("closed during the handshake of %s", path);
        c->rlen += n;
        c->rbuf[c->rlen] = '\0';
        end = strstr(c->rbuf, "\r\n\r\n");
        if (end) break;
    }
    if (strncmp(c->rbuf, "HTTP/1.1 101", 12) != 0) {
        die("%s: %.*s", path, (int) (strchr(c->rbuf, '\r') - c->rbuf),
            c->rbuf);
    }
    end += 4;
    c->rlen -= end - c->rbuf;
    memmove(c->rbuf, end, c->rlen);

    return nconns++;
}


static void
wait_text(conn_t *c, const char *needle)
{
    char    *t;
    size_t   len;

    for ( ;; ) {
        if (read_frame(c, &t, &len) == 0 && strstr(t, needle)) return;
    }
}


static void
open_csq(const char *plan)
{
    FILE   *f = fopen(plan, "r");
    char    conv[128], ctok[512], agent[128], atok[512], path[1024];
    char    agents[MAXCONN][64];
    int     agent_conn[MAXCONN], nagents = 0, i;
    static const char  *hello = "\"type\":\"hello\"";

    if (f == NULL) die("%s: %s", plan, strerror(errno));
    pairs = calloc(MAXCONN, sizeof(pair_t));

    while (fscanf(f, "%127s %511s %127s %511s", conv, ctok, agent, atok)
           == 4)
    {
        for (i = 0; i < nagents && strcmp(agents[i], agent) != 0; i++) {
            /* void */
        }
        if (i == nagents) {
            snprintf(agents[nagents], 64, "%.63s", agent);
            snprintf(path, sizeof(path),
                     "/api/tenants/bench/agent/ws?token=%s", atok);
            agent_conn[nagents] = ws_open(path, "");
            wait_text(&conns[agent_conn[nagents]], hello);
            nagents++;
        }
        snprintf(path, sizeof(path),
                 "/api/tenants/bench/chat/ws?token=%s&conversation=%s",
                 ctok, conv);
        pairs[npairs].tx = ws_open(path, "");
        wait_text(&conns[pairs[npairs].tx], hello);
        pairs[npairs].rx = agent_conn[i];
        npairs++;
    }
    fclose(f);
}


static void
open_nchan(int n)
{
    char         path[64];
    static char  warm[] = "{\"type\":\"message\",\"text\":\"warm\"}";

    /* channels of this process alone: nchan keeps a channel's last
       messages, and would hand those of an earlier run to a subscriber */
    pairs = calloc(n, sizeof(pair_t));
    for (npairs = 0; npairs < n; npairs++) {
        snprintf(path, sizeof(path), "/sub/p%dc%d", (int) getpid(), npairs);
        pairs[npairs].rx = ws_open(path, "");
        snprintf(path, sizeof(path), "/pub/p%dc%d", (int) getpid(), npairs);
        pairs[npairs].tx = ws_open(path, "Accept: text/json\r\n");
        /* subscribed once a first message comes through, and acked */
        ws_send(&conns[pairs[npairs].tx], 0x1, warm, sizeof(warm) - 1);
        wait_text(&conns[pairs[npairs].rx], "warm");
        wait_text(&conns[pairs[npairs].tx], "");
    }
}


/* --- CPU accounting */

static double
cpu_of(const char *env)
{
    char    *list = getenv(env), *s, *save, path[64], buf[1024], *p;
    double   ticks = 0;
    FILE    *f;
    long     ut, st;

    if (list == NULL) return 0;
    list = strdup(list);
    for (s = strtok_r(list, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
        snprintf(path, sizeof(path), "/proc/%s/stat", s);
        if ((f = fopen(path, "r")) == NULL) continue;
        if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')'))
            && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                      "%ld %ld", &ut, &st) == 2)
        {
            ticks += ut + st;
        }
        fclose(f);
    }
    free(list);
    return ticks / sysconf(_SC_CLK_TCK);
}


static double
cpu_self(void)
{
    struct rusage  ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
           + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}


static double
cpu_busy(void)
{
    FILE    *f = fopen("/proc/stat", "r");
    double   v[8] = { 0 };

    if (f == NULL) return 0;
    if (fscanf(f, "cpu %lf %lf %lf %lf %lf %lf %lf %lf", &v[0], &v[1],
               &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
    {
        v[0] = v[1] = v[2] = v[5] = v[6] = v[7] = 0;
    }
    fclose(f);
    /* user nice system idle iowait irq softirq steal */
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7])
           / sysconf(_SC_CLK_TCK);
}


/* --- one run: rate messages/s in all, 0: as fast as allowed */

static int
cmp(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}


static double
pct(double p)
{
    long  i = (long) (nlat * p / 100);

    return nlat ? lat[i < nlat ? i : nlat - 1] : 0;
}


static double
run(const char *load, double seconds, double rate)
{
    struct epoll_event  evs[256];
    double              t, end, due, ng0, rd0, me0, busy0, wall = 1;
    double              ng = 0, rd = 0, me = 0, rest = 0, got, stopped = 0;
    int                 i, n, k, next = 0, timeout;

    t0 = now_ms();
    from = t0 + WARMUP_MS;
    to = from + seconds * 1000;
    sent = delivered = in_window = errors = nlat = dups = held = 0;
    nacked = pending = refused = 0;
    if (seen) memset(seen, 0, seen_bits / 8);
    if (acked) memset(acked, 0, seen_bits / 8);
    nslow = (long) (seconds * 10) + 1;
    slow = calloc(nslow, sizeof(double));
    rate_mode = rate > 0;
    sending = 1;
    ng0 = cpu_of("NGINX_PIDS");
    rd0 = cpu_of("REDIS_PIDS");
    me0 = cpu_self();
    busy0 = cpu_busy();

    for (i = 0; i < nconns; i++) conns[i].inflight = 0;
    if (!rate_mode) {
        for (i = 0; i < npairs; i++) {
            while (conns[pairs[i].tx].inflight < INFLIGHT) {
                send_message(&pairs[i]);
            }
        }
    }

    end = 0;
    for ( ;; ) {
        t = now_ms();

        if (sending && t >= to) {             /* the window is over */
            sending = 0;
            wall = (t - t0) / 1000;
            ng = cpu_of("NGINX_PIDS") - ng0;
            rd = cpu_of("REDIS_PIDS") - rd0;
            me = cpu_self() - me0;
            rest = cpu_busy() - busy0 - ng - rd - me;
            /* an overload's backlog may take longer: how long is told */
            end = t + (open_loop ? 12 * DRAIN_MS : DRAIN_MS);
            stopped = t;
        }
        /* an overload's refused sends never come: its acked ones must */
        if (!sending
            && ((open_loop ? pending == 0 : delivered >= sent) || t >= end))
        {
            break;
        }

        /* what is due by now, round the senders that have room */
        if (sending && rate_mode) {
            due = rate * (t - t0) / 1000 - sent;
            for (k = 0; due >= 1 && k < npairs; k++) {
                pair_t *p = &pairs[next];
                next = (next + 1) % npairs;
                if (open_loop && conns[p->tx].olen > OBUF_MAX) {
                    held++;               /* TCP pushes back: not now */
                    due--;
                } else if (open_loop || conns[p->tx].inflight < INFLIGHT) {
                    send_message(p);
                    due--;
                    k = -1;
                }
            }
        }

        timeout = rate_mode && sending ? 1 : 20;
        n = epoll_wait(epfd, evs, 256, timeout);
        for (i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT) on_writable(c);
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                if (on_readable(c) < 0 && c->sender) c->inflight = 0;
            }
        }
    }

    qsort(lat, nlat, sizeof(double), cmp);
    got = in_window / seconds;
    printf("RESULT %s %.0f %.0f %.2f %.2f %ld %ld %ld %.0f %.0f %.0f %.0f "
           "%ld\n",
           load, rate, got, pct(50), pct(99), sent,
           target == CSQ ? pending : sent - delivered, errors,
           ng * 100 / wall, rd * 100 / wall, me * 100 / wall,
           (rest > 0 ? rest : 0) * 100 / wall, dups);
    fflush(stdout);
    printf("SLOW %s", load);
    for (i = 0; i < nslow; i += 10) {
        double  w = 0;
        for (k = i; k < i + 10 && k < nslow; k++) {
            if (slow[k] > w) w = slow[k];
        }
        printf(" %.0f", w);
    }
    printf("\n");
    if (open_loop) {
        printf("HELD %s %ld\nDRAIN %s %.0f\nACKED %s %ld\nREFUSED %s %ld\n",
               load, held, load, now_ms() - stopped, load, nacked, load,
               refused);
    }
    fflush(stdout);
    if (errors) fprintf(stderr, "%ld errors, last: %s\n", errors, last_error);
    if (getenv("RELAY_DEBUG")) {
        fprintf(stderr, "%s: p90 %.2f p99.9 %.2f max %.2f; worst per 100 ms:",
                load, pct(90), pct(99.9), nlat ? lat[nlat - 1] : 0);
        for (i = 0; i < nslow; i++) fprintf(stderr, " %.0f", slow[i]);
        fputc('\n', stderr);
    }
    free(slow);
    return got;
}


int
main(int argc, char **argv)
{
    double   seconds, max, f;
    char    *fr, *s, *save, load[32];
    int      i, flags;

    if (argc != 6) {
        die("usage: relay-load csq|nchan <port> <plan|pairs> <seconds> "
            "<fractions>");
    }
    signal(SIGPIPE, SIG_IGN);     /* a closed socket is counted, not fatal */
    target = strncmp(argv[1], "nchan", 5) == 0 ? NCHAN : CSQ;
    port = atoi(argv[2]);
    seconds = atof(argv[4]);

    if (target == CSQ) open_csq(argv[3]); else open_nchan(atoi(argv[3]));

    epfd = epoll_create1(0);
    for (i = 0; i < npairs; i++) {
        conns[pairs[i].tx].sender = 1;
        conns[pairs[i].tx].pair = i;
    }
    for (i = 0; i < nconns; i++) {
        struct epoll_event ev = { EPOLLIN, { .ptr = &conns[i] } };
        flags = fcntl(conns[i].fd, F_GETFL);
        fcntl(conns[i].fd, F_SETFL, flags | O_NONBLOCK);
        epoll_ctl(epfd, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }

    max = run("max", seconds, 0);
    fr = strdup(argv[5]);
    for (s = strtok_r(fr, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        f = atof(s);
        if (f <= 0) continue;
        usleep(500000);
        snprintf(load, sizeof(load), "%s", s);
        open_loop = f > 1;
        run(load, strchr(s, '@') ? atof(strchr(s, '@') + 1) : seconds,
            max * f);
    }
    return 0;
}
