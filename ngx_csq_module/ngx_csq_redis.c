
/*
 * Copyright (C) ngx_csq_module authors
 *
 * The per-worker Redis pool: a few hiredis async connections ("links"),
 * each carrying many commands in flight; commands wait in a bounded list
 * while no link is ready; every command has an nginx timer; lost links
 * reconnect with backoff and, once AUTH, SELECT and the check of the
 * function library (loaded when Redis lacks this build's version) went
 * through, take the waiting commands.  A command whose caller went away
 * stays owned here until hiredis hands back its reply.
 */


#include "ngx_csq_redis.h"


#define NGX_CSQ_LINK_DOWN         0
#define NGX_CSQ_LINK_CONNECTING   1
#define NGX_CSQ_LINK_READY        2

#define NGX_CSQ_BACKOFF_MIN       100
#define NGX_CSQ_BACKOFF_MAX       2000
#define NGX_CSQ_WAITING_MAX       10000
#define NGX_CSQ_INFLIGHT_MAX      10000   /* per link */
#define NGX_CSQ_INFLIGHT_BATCH    64      /* on one link before the next */
#define NGX_CSQ_TIMEOUTS_MAX      3       /* in a row: the link is stuck */

/* the first failure in a row is an error, the retries that follow are not */
#define NGX_CSQ_FAIL_LEVEL(link)                                             \
    ((link)->failures == 1 ? NGX_LOG_ERR : NGX_LOG_INFO)


typedef struct {
    redisAsyncContext    *ac;
    ngx_event_t           timer;      /* connect timeout or retry backoff */
    ngx_msec_t            backoff;
    ngx_msec_t            last_attempt;
    ngx_uint_t            inflight;
    ngx_uint_t            setup;      /* setup replies still to come */
    ngx_uint_t            state;
    ngx_uint_t            failures;   /* attempts failed in a row */
    ngx_uint_t            timeouts;   /* commands timed out in a row */
    ngx_uint_t            index;
    unsigned              was_up:1;
    unsigned              loading:1;  /* a FUNCTION LOAD is in flight */
} ngx_csq_redis_link_t;


struct ngx_csq_redis_cmd_s {
    ngx_queue_t                queue;
    ngx_event_t                timer;
    ngx_csq_redis_handler_pt   handler;
    void                      *data;
    ngx_csq_redis_link_t      *link;
    ngx_csq_function_t        *fn;
    int                        argc;
    const char               **argv;
    size_t                    *argvlen;
    unsigned                   waiting:1;
    unsigned                   retried:1;
};


typedef struct {
    ngx_csq_main_conf_t       *cmcf;
    ngx_log_t                 *log;
    ngx_csq_redis_link_t      *links;
    ngx_uint_t                 nlinks;
    ngx_queue_t                waiting;
    ngx_uint_t                 nwaiting;
    unsigned                   exiting:1;
} ngx_csq_redis_pool_t;


static void ngx_csq_redis_connect(ngx_csq_redis_link_t *link);
static void ngx_csq_redis_on_connect(const redisAsyncContext *ac,
    int status);
static void ngx_csq_redis_on_disconnect(const redisAsyncContext *ac,
    int status);
static void ngx_csq_redis_setup_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void ngx_csq_redis_list_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static ngx_int_t ngx_csq_redis_load(ngx_csq_redis_link_t *link);
static void ngx_csq_redis_ready(ngx_csq_redis_link_t *link);
static void ngx_csq_redis_lost(ngx_csq_redis_link_t *link);
static void ngx_csq_redis_link_timer(ngx_event_t *ev);
static ngx_csq_redis_link_t *ngx_csq_redis_pick(ngx_uint_t *connecting);
static ngx_uint_t ngx_csq_redis_kick(void);
static ngx_int_t ngx_csq_redis_send(ngx_csq_redis_link_t *link,
    ngx_csq_redis_cmd_t *cmd);
static void ngx_csq_redis_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void ngx_csq_redis_load_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void ngx_csq_redis_cmd_timeout(ngx_event_t *ev);
static void ngx_csq_redis_finish(ngx_csq_redis_cmd_t *cmd, ngx_int_t rc,
    redisReply *reply);
static void ngx_csq_redis_run_waiting(void);
static void ngx_csq_redis_fail_waiting(void);


static ngx_csq_redis_pool_t  ngx_csq_redis_pool;


ngx_int_t
ngx_csq_redis_init(ngx_cycle_t *cycle, ngx_csq_main_conf_t *cmcf)
{
    ngx_uint_t             i;
    ngx_csq_redis_link_t  *link;
    ngx_csq_redis_pool_t  *pool = &ngx_csq_redis_pool;

    ngx_csq_timer_conn.fd = (ngx_socket_t) -1;

    pool->cmcf = cmcf;
    pool->log = cycle->log;
    pool->nlinks = cmcf->redis_pool;
    pool->exiting = 0;

    ngx_queue_init(&pool->waiting);

    pool->links = ngx_pcalloc(cycle->pool,
                              pool->nlinks * sizeof(ngx_csq_redis_link_t));
    if (pool->links == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < pool->nlinks; i++) {
        link = &pool->links[i];

        link->index = i;
        link->timer.handler = ngx_csq_redis_link_timer;
        link->timer.data = &ngx_csq_timer_conn;
        link->timer.log = cycle->log;
        link->timer.cancelable = 1;

        ngx_csq_redis_connect(link);
    }

    return NGX_OK;
}


void
ngx_csq_redis_done(ngx_cycle_t *cycle)
{
    ngx_uint_t             i;
    redisAsyncContext     *ac;
    ngx_csq_redis_link_t  *link;
    ngx_csq_redis_pool_t  *pool = &ngx_csq_redis_pool;

    if (pool->links == NULL) {
        return;
    }

    /* no handler runs from here on: their requests are gone */

    pool->exiting = 1;

    ngx_csq_redis_fail_waiting();

    for (i = 0; i < pool->nlinks; i++) {
        link = &pool->links[i];

        if (link->timer.timer_set) {
            ngx_del_timer(&link->timer);
        }

        ac = link->ac;

        if (ac) {
            link->ac = NULL;
            redisAsyncFree(ac);
        }
    }

    pool->links = NULL;
}


redisAsyncContext *
ngx_csq_redis_open(ngx_log_t *log, ngx_uint_t level)
{
    redisAsyncContext    *ac;
    ngx_csq_main_conf_t  *cmcf = ngx_csq_redis_pool.cmcf;

    /* both only start a non-blocking connect: the address is numeric */

    if (cmcf->redis_unix.len) {
        ac = redisAsyncConnectUnix((char *) cmcf->redis_unix.data);

    } else {
        ac = redisAsyncConnect((char *) cmcf->redis_host.data,
                               cmcf->redis_port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "csq: redis %V: no memory for a connection",
                      &cmcf->redis_addr);
        return NULL;
    }

    if (ac->err) {
        ngx_log_error(level, log, 0, "csq: redis %V: connect failed: %s",
                      &cmcf->redis_addr, ac->errstr);
        redisAsyncFree(ac);
        return NULL;
    }

    if (ngx_csq_redis_event_attach(ac, log) != NGX_OK) {
        redisAsyncFree(ac);
        return NULL;
    }

    /* hiredis learns that the connect finished from the first write event */

    ac->ev.addWrite(ac->ev.data);

    return ac;
}


ngx_uint_t
ngx_csq_redis_login(redisAsyncContext *ac, redisCallbackFn *fn)
{
    char                  db[NGX_INT_T_LEN];
    size_t                argvlen[2];
    ngx_uint_t            n;
    const char           *argv[2];
    ngx_csq_main_conf_t  *cmcf = ngx_csq_redis_pool.cmcf;

    n = 0;

    if (cmcf->redis_password.len) {
        argv[0] = "AUTH";
        argvlen[0] = 4;
        argv[1] = (const char *) cmcf->redis_password.data;
        argvlen[1] = cmcf->redis_password.len;

        if (redisAsyncCommandArgv(ac, fn, "AUTH", 2, argv, argvlen)
            == REDIS_OK)
        {
            n++;
        }
    }

    if (cmcf->redis_db) {
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = db;
        argvlen[1] = ngx_sprintf((u_char *) db, "%i", cmcf->redis_db)
                     - (u_char *) db;

        if (redisAsyncCommandArgv(ac, fn, "SELECT", 2, argv, argvlen)
            == REDIS_OK)
        {
            n++;
        }
    }

    return n;
}


static void
ngx_csq_redis_connect(ngx_csq_redis_link_t *link)
{
    redisAsyncContext     *ac;
    ngx_csq_main_conf_t   *cmcf = ngx_csq_redis_pool.cmcf;
    ngx_csq_redis_pool_t  *pool = &ngx_csq_redis_pool;

    if (link->ac) {
        return;     /* the last context is still closing */
    }

    link->last_attempt = ngx_current_msec;
    link->failures++;

    ac = ngx_csq_redis_open(pool->log, NGX_CSQ_FAIL_LEVEL(link));
    if (ac == NULL) {
        goto failed;
    }

    ac->data = link;
    redisAsyncSetConnectCallback(ac, ngx_csq_redis_on_connect);
    redisAsyncSetDisconnectCallback(ac, ngx_csq_redis_on_disconnect);

    link->ac = ac;
    link->state = NGX_CSQ_LINK_CONNECTING;
    link->setup = 0;
    link->inflight = 0;
    link->timeouts = 0;

    ngx_add_timer(&link->timer, cmcf->redis_timeout);

    return;

failed:

    ngx_csq_redis_lost(link);
}


static void
ngx_csq_redis_on_connect(const redisAsyncContext *ac, int status)
{
    ngx_csq_redis_link_t  *link = ac->data;

    redisAsyncContext     *c;
    ngx_csq_main_conf_t   *cmcf = ngx_csq_redis_pool.cmcf;

    c = (redisAsyncContext *) ac;

    if (status != REDIS_OK) {

        /* hiredis frees the context when this returns */

        ngx_log_error(NGX_CSQ_FAIL_LEVEL(link),
                      ngx_csq_redis_pool.log, 0,
                      "csq: redis %V: connect failed: %s",
                      &cmcf->redis_addr, ac->errstr);

        link->ac = NULL;
        ngx_csq_redis_lost(link);
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, ngx_csq_redis_pool.log, 0,
                   "csq: redis link %ui connected", link->index);

    /* pipelined: the link is ready when the last of these succeeded */

    link->setup = ngx_csq_redis_login(c, ngx_csq_redis_setup_reply);
    link->loading = 0;

    /* has Redis this build's library?  Usually yes, after a reconnect */

    if (redisAsyncCommand(c, ngx_csq_redis_list_reply, NULL,
                          "FUNCTION LIST LIBRARYNAME %b",
                          ngx_csq_library_name.data,
                          ngx_csq_library_name.len)
        == REDIS_OK)
    {
        link->setup++;
    }

    if (link->setup == 0) {
        ngx_csq_redis_ready(link);
    }
}


static void
ngx_csq_redis_setup_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply  *reply = r;

    ngx_csq_redis_link_t  *link;
    ngx_csq_main_conf_t   *cmcf = ngx_csq_redis_pool.cmcf;

    if (reply == NULL) {
        return;     /* the context is being freed */
    }

    link = ac->data;

    if (link->ac != ac || link->state != NGX_CSQ_LINK_CONNECTING) {
        return;     /* an earlier setup step failed */
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, ngx_csq_redis_pool.log, 0,
                      "csq: redis %V: %s failed: %s",
                      &cmcf->redis_addr, (char *) privdata, reply->str);

        link->state = NGX_CSQ_LINK_DOWN;
        redisAsyncDisconnect(ac);
        return;
    }

    if (--link->setup == 0) {
        ngx_csq_redis_ready(link);
    }
}


/* FUNCTION LIST answered: load the library when missing, before ready */

static void
ngx_csq_redis_list_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply  *reply = r;

    ngx_csq_redis_link_t  *link;

    if (reply == NULL) {
        return;     /* the context is being freed */
    }

    link = ac->data;

    if (link->ac != ac || link->state != NGX_CSQ_LINK_CONNECTING) {
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY) {
        ngx_csq_redis_setup_reply(ac, r, "FUNCTION LIST");
        return;
    }

    if (reply->elements == 0 && ngx_csq_redis_load(link) == NGX_OK) {
        link->setup++;
    }

    /* this reply's own share of the setup */

    if (--link->setup == 0) {
        ngx_csq_redis_ready(link);
    }
}


/*
 * FUNCTION LOAD of this build's library on the link: while connecting, as
 * part of the setup; when ready, after a call found its function missing
 * (the call's resend follows the load on the same link).  One at a time.
 */

static ngx_int_t
ngx_csq_redis_load(ngx_csq_redis_link_t *link)
{
    if (link->loading) {
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_INFO, ngx_csq_redis_pool.log, 0,
                  "csq: redis: loading function library \"%V\"",
                  &ngx_csq_library_name);

    if (redisAsyncCommand(link->ac, ngx_csq_redis_load_reply, NULL,
                          "FUNCTION LOAD %b", ngx_csq_library.data,
                          ngx_csq_library.len)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    link->loading = 1;

    return NGX_OK;
}


static void
ngx_csq_redis_ready(ngx_csq_redis_link_t *link)
{
    ngx_csq_main_conf_t  *cmcf = ngx_csq_redis_pool.cmcf;

    if (link->timer.timer_set) {
        ngx_del_timer(&link->timer);
    }

    link->state = NGX_CSQ_LINK_READY;
    link->backoff = 0;

    if (link->failures > 1 || link->was_up) {
        ngx_log_error(NGX_LOG_NOTICE, ngx_csq_redis_pool.log, 0,
                      "csq: redis %V: link %ui connected again",
                      &cmcf->redis_addr, link->index);
    }

    link->failures = 0;
    link->was_up = 1;

    ngx_csq_redis_run_waiting();
}


static void
ngx_csq_redis_on_disconnect(const redisAsyncContext *ac, int status)
{
    ngx_csq_redis_link_t  *link = ac->data;

    ngx_csq_main_conf_t  *cmcf = ngx_csq_redis_pool.cmcf;

    if (link->ac != ac) {
        return;     /* freed on purpose */
    }

    if (link->state == NGX_CSQ_LINK_READY) {
        ngx_log_error(NGX_LOG_ERR, ngx_csq_redis_pool.log, 0,
                      "csq: redis %V: link %ui lost: %s",
                      &cmcf->redis_addr, link->index,
                      ac->errstr[0] ? ac->errstr : "closed");
    }

    link->ac = NULL;
    ngx_csq_redis_lost(link);
}


/* the link has no context any more: retry after a backoff */

static void
ngx_csq_redis_lost(ngx_csq_redis_link_t *link)
{
    ngx_uint_t             i, connecting;
    ngx_csq_redis_pool_t  *pool = &ngx_csq_redis_pool;

    link->state = NGX_CSQ_LINK_DOWN;
    link->inflight = 0;

    if (pool->exiting) {
        return;
    }

    if (link->timer.timer_set) {
        ngx_del_timer(&link->timer);
    }

    link->backoff = link->backoff ? ngx_min(link->backoff * 2,
                                            NGX_CSQ_BACKOFF_MAX)
                                  : NGX_CSQ_BACKOFF_MIN;

    ngx_add_timer(&link->timer, link->backoff);

    /* waiting commands fail at once when no link can take them soon */

    connecting = 0;

    for (i = 0; i < pool->nlinks; i++) {
        if (pool->links[i].state != NGX_CSQ_LINK_DOWN) {
            connecting++;
        }
    }

    if (connecting == 0) {
        ngx_csq_redis_fail_waiting();
    }
}


static void
ngx_csq_redis_link_timer(ngx_event_t *ev)
{
    ngx_csq_redis_link_t  *link;

    redisAsyncContext     *ac;
    ngx_csq_main_conf_t   *cmcf = ngx_csq_redis_pool.cmcf;

    link = (ngx_csq_redis_link_t *)
               ((u_char *) ev - offsetof(ngx_csq_redis_link_t, timer));

    if (link->state == NGX_CSQ_LINK_DOWN && link->ac == NULL) {
        ngx_csq_redis_connect(link);
        return;
    }

    /*
     * connecting, and neither connected nor set up in time; or a failed
     * setup whose context never finished closing
     */

    ngx_log_error(NGX_CSQ_FAIL_LEVEL(link),
                  ngx_csq_redis_pool.log, 0,
                  "csq: redis %V: connect timed out", &cmcf->redis_addr);

    ac = link->ac;
    link->ac = NULL;

    if (ac) {
        redisAsyncFree(ac);
    }

    ngx_csq_redis_lost(link);
}


/*
 * The first ready link with fewer than NGX_CSQ_INFLIGHT_BATCH commands in
 * flight, else the ready link with the fewest: commands of one event loop
 * iteration share a link, so they go out in one write and come back in
 * one read, and the other links take the load only when it is high.
 */

static ngx_csq_redis_link_t *
ngx_csq_redis_pick(ngx_uint_t *connecting)
{
    ngx_uint_t             i;
    ngx_csq_redis_link_t  *link, *best;
    ngx_csq_redis_pool_t  *pool = &ngx_csq_redis_pool;

    best = NULL;
    *connecting = 0;

    for (i = 0; i < pool->nlinks; i++) {
        link = &pool->links[i];

        if (link->state == NGX_CSQ_LINK_CONNECTING) {
            (*connecting)++;
            continue;
        }

        if (link->state != NGX_CSQ_LINK_READY
            || link->ac == NULL
            || link->inflight >= NGX_CSQ_INFLIGHT_MAX
            || (link->ac->c.flags & (REDIS_DISCONNECTING|REDIS_FREEING)))
        {
            continue;
        }

        if (link->inflight < NGX_CSQ_INFLIGHT_BATCH) {
            return link;
        }

        if (best == NULL || link->inflight < best->inflight) {
            best = link;
        }
    }

    return best;
}


/*
 * No link is up or on its way: start connecting the links whose last
 * attempt is old enough, so a Redis that came back is used at once and a
 * Redis that is down is not hammered.  Returns how many are connecting.
 */

static ngx_uint_t
ngx_csq_redis_kick(void)
{
    ngx_uint_t             i, n;
    ngx_csq_redis_link_t  *link;
    ngx_csq_redis_pool_t  *pool = &ngx_csq_redis_pool;

    n = 0;

    for (i = 0; i < pool->nlinks; i++) {
        link = &pool->links[i];

        if (link->state == NGX_CSQ_LINK_DOWN
            && ngx_current_msec - link->last_attempt >= NGX_CSQ_BACKOFF_MIN)
        {
            if (link->timer.timer_set) {
                ngx_del_timer(&link->timer);
            }

            ngx_csq_redis_connect(link);
        }

        if (link->state == NGX_CSQ_LINK_CONNECTING) {
            n++;
        }
    }

    return n;
}


ngx_csq_redis_cmd_t *
ngx_csq_redis_fcall(ngx_uint_t fn, ngx_uint_t nkeys, ngx_str_t *argv,
    ngx_uint_t argc, ngx_csq_redis_handler_pt handler, void *data)
{
    u_char                *p;
    size_t                 size;
    ngx_uint_t             i, n, connecting;
    ngx_csq_function_t    *f;
    ngx_csq_redis_cmd_t   *cmd;
    ngx_csq_redis_link_t  *link;
    ngx_csq_redis_pool_t  *pool = &ngx_csq_redis_pool;

    if (pool->links == NULL || fn >= NGX_CSQ_FN_COUNT) {
        return NULL;
    }

    link = ngx_csq_redis_pick(&connecting);

    if (link == NULL && connecting == 0 && ngx_csq_redis_kick() == 0) {
        return NULL;
    }

    if (link == NULL && pool->nwaiting >= NGX_CSQ_WAITING_MAX) {
        return NULL;
    }

    f = &ngx_csq_functions[fn];

    /* FCALL[_RO] name numkeys key... arg..., in one allocation */

    n = argc + 3;
    size = sizeof(ngx_csq_redis_cmd_t)
           + n * (sizeof(char *) + sizeof(size_t)) + NGX_INT_T_LEN;

    for (i = 0; i < argc; i++) {
        size += argv[i].len;
    }

    cmd = ngx_alloc(size, pool->log);
    if (cmd == NULL) {
        return NULL;
    }

    ngx_memzero(cmd, sizeof(ngx_csq_redis_cmd_t));

    cmd->handler = handler;
    cmd->data = data;
    cmd->fn = f;
    cmd->argc = (int) n;
    cmd->argv = (const char **) (cmd + 1);
    cmd->argvlen = (size_t *) (cmd->argv + n);

    cmd->argv[0] = f->ro ? "FCALL_RO" : "FCALL";
    cmd->argvlen[0] = f->ro ? 8 : 5;
    cmd->argv[1] = (const char *) f->fname.data;
    cmd->argvlen[1] = f->fname.len;

    p = (u_char *) (cmd->argvlen + n);

    cmd->argv[2] = (const char *) p;
    cmd->argvlen[2] = ngx_sprintf(p, "%ui", nkeys) - p;
    p += cmd->argvlen[2];

    for (i = 0; i < argc; i++) {
        cmd->argv[i + 3] = (const char *) p;
        cmd->argvlen[i + 3] = argv[i].len;
        p = ngx_cpymem(p, argv[i].data, argv[i].len);
    }

    cmd->timer.handler = ngx_csq_redis_cmd_timeout;
    cmd->timer.data = &ngx_csq_timer_conn;
    cmd->timer.log = pool->log;

    if (link) {
        if (ngx_csq_redis_send(link, cmd) != NGX_OK) {
            ngx_free(cmd);
            return NULL;
        }

    } else {
        cmd->waiting = 1;
        ngx_queue_insert_tail(&pool->waiting, &cmd->queue);
        pool->nwaiting++;
    }

    ngx_add_timer(&cmd->timer, pool->cmcf->redis_timeout);

    return cmd;
}


static ngx_int_t
ngx_csq_redis_send(ngx_csq_redis_link_t *link, ngx_csq_redis_cmd_t *cmd)
{
    if (redisAsyncCommandArgv(link->ac, ngx_csq_redis_reply, cmd, cmd->argc,
                              cmd->argv, cmd->argvlen)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    cmd->link = link;
    link->inflight++;

    return NGX_OK;
}


static void
ngx_csq_redis_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    ngx_csq_redis_cmd_t  *cmd = privdata;
    redisReply           *reply = r;

    ngx_csq_redis_link_t  *link;

    link = cmd->link;

    if (link->inflight) {
        link->inflight--;
    }

    if (reply == NULL) {
        ngx_csq_redis_finish(cmd, NGX_CSQ_REDIS_DOWN, NULL);
        return;
    }

    link->timeouts = 0;

    /*
     * Redis lost the library (a restart without persistence, a failover to
     * a fresh replica, FUNCTION FLUSH): load it and send the command again,
     * both on this link, so the second call runs after the load
     */

    if (reply->type == REDIS_REPLY_ERROR
        && ngx_strncmp(reply->str, "ERR Function not found", 22) == 0
        && cmd->handler
        && !cmd->retried
        && !(ac->c.flags & (REDIS_DISCONNECTING|REDIS_FREEING)))
    {
        cmd->retried = 1;

        ngx_log_error(NGX_LOG_INFO, ngx_csq_redis_pool.log, 0,
                      "csq: redis: function \"%V\" not found",
                      &cmd->fn->fname);

        if (ngx_csq_redis_load(link) != NGX_ERROR
            && ngx_csq_redis_send(link, cmd) == NGX_OK)
        {
            return;
        }
    }

    /* Redis still loading its data (a restart): not there yet */

    if (reply->type == REDIS_REPLY_ERROR
        && ngx_strncmp(reply->str, "LOADING", 7) == 0)
    {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ngx_csq_redis_pool.log, 0,
                       "csq: redis: %s", reply->str);
        ngx_csq_redis_finish(cmd, NGX_CSQ_REDIS_DOWN, NULL);
        return;
    }

    ngx_csq_redis_finish(cmd, NGX_CSQ_REDIS_OK, reply);
}


/*
 * A library already there counts as loaded: another worker or node of
 * this build was first.  A load that fails during the setup fails it.
 */

static void
ngx_csq_redis_load_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply  *reply = r;

    ngx_csq_redis_link_t  *link;

    if (reply == NULL) {
        return;     /* the context is being freed */
    }

    link = ac->data;

    if (link->ac != ac) {
        return;
    }

    link->loading = 0;

    if (reply->type == REDIS_REPLY_ERROR
        && ngx_strstr(reply->str, "already exists") == NULL)
    {
        if (link->state == NGX_CSQ_LINK_CONNECTING) {
            ngx_csq_redis_setup_reply(ac, r, "FUNCTION LOAD");
            return;
        }

        ngx_log_error(NGX_LOG_ERR, ngx_csq_redis_pool.log, 0,
                      "csq: redis: loading function library \"%V\" "
                      "failed: %s", &ngx_csq_library_name, reply->str);
        return;
    }

    if (link->state == NGX_CSQ_LINK_CONNECTING && --link->setup == 0) {
        ngx_csq_redis_ready(link);
    }
}


static void
ngx_csq_redis_cmd_timeout(ngx_event_t *ev)
{
    ngx_csq_redis_cmd_t  *cmd;

    void                      *data;
    redisAsyncContext         *ac;
    ngx_csq_redis_link_t      *link;
    ngx_csq_redis_pool_t      *pool = &ngx_csq_redis_pool;
    ngx_csq_redis_handler_pt   handler;

    cmd = (ngx_csq_redis_cmd_t *)
              ((u_char *) ev - offsetof(ngx_csq_redis_cmd_t, timer));

    ngx_log_error(NGX_LOG_WARN, pool->log, 0,
                  "csq: redis %V: \"%V\" timed out after %Mms",
                  &pool->cmcf->redis_addr, &cmd->fn->name,
                  pool->cmcf->redis_timeout);

    handler = cmd->handler;
    data = cmd->data;
    cmd->handler = NULL;

    link = NULL;

    if (cmd->waiting) {
        ngx_queue_remove(&cmd->queue);
        pool->nwaiting--;
        ngx_free(cmd);

    } else {
        /* a command in flight stays until hiredis hands it back */
        link = cmd->link;
    }

    if (handler) {
        handler(data, NGX_CSQ_REDIS_TIMEOUT, NULL);
    }

    /*
     * a link whose commands keep timing out is stuck (a hung Redis, a
     * black hole): drop it, which also fails what it carries, and
     * connect again; a timer is a safe place to free a context
     */

    if (link && link->ac && ++link->timeouts >= NGX_CSQ_TIMEOUTS_MAX) {
        ngx_log_error(NGX_LOG_ERR, pool->log, 0,
                      "csq: redis %V: link %ui stuck, reconnecting",
                      &pool->cmcf->redis_addr, link->index);

        ac = link->ac;
        link->ac = NULL;
        redisAsyncFree(ac);
        ngx_csq_redis_lost(link);
    }
}


static void
ngx_csq_redis_finish(ngx_csq_redis_cmd_t *cmd, ngx_int_t rc,
    redisReply *reply)
{
    void                      *data;
    ngx_csq_redis_handler_pt   handler;

    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }

    handler = cmd->handler;
    data = cmd->data;

    cmd->handler = NULL;

    if (handler && !ngx_csq_redis_pool.exiting) {
        handler(data, rc, reply);
    }

    ngx_free(cmd);
}


void
ngx_csq_redis_cancel(ngx_csq_redis_cmd_t *cmd)
{
    if (cmd == NULL || cmd->handler == NULL) {
        return;
    }

    cmd->handler = NULL;

    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }

    if (cmd->waiting) {
        ngx_queue_remove(&cmd->queue);
        ngx_csq_redis_pool.nwaiting--;
        ngx_free(cmd);
    }
}


static void
ngx_csq_redis_run_waiting(void)
{
    ngx_uint_t             connecting;
    ngx_queue_t           *q;
    ngx_csq_redis_cmd_t   *cmd;
    ngx_csq_redis_link_t  *link;
    ngx_csq_redis_pool_t  *pool = &ngx_csq_redis_pool;

    while (!ngx_queue_empty(&pool->waiting)) {

        link = ngx_csq_redis_pick(&connecting);
        if (link == NULL) {
            return;
        }

        q = ngx_queue_head(&pool->waiting);
        cmd = ngx_queue_data(q, ngx_csq_redis_cmd_t, queue);

        ngx_queue_remove(q);
        pool->nwaiting--;
        cmd->waiting = 0;

        if (ngx_csq_redis_send(link, cmd) != NGX_OK) {
            ngx_csq_redis_finish(cmd, NGX_CSQ_REDIS_DOWN, NULL);
        }
    }
}


static void
ngx_csq_redis_fail_waiting(void)
{
    ngx_queue_t            failed, *q;
    ngx_csq_redis_cmd_t   *cmd;
    ngx_csq_redis_pool_t  *pool = &ngx_csq_redis_pool;

    if (ngx_queue_empty(&pool->waiting)) {
        return;
    }

    /* handlers may queue new commands: fail only those waiting now */

    failed = pool->waiting;
    failed.next->prev = &failed;
    failed.prev->next = &failed;

    ngx_queue_init(&pool->waiting);
    pool->nwaiting = 0;

    /* a cancel while these fail must not count them as waiting */

    for (q = ngx_queue_head(&failed);
         q != ngx_queue_sentinel(&failed);
         q = ngx_queue_next(q))
    {
        cmd = ngx_queue_data(q, ngx_csq_redis_cmd_t, queue);
        cmd->waiting = 0;
    }

    while (!ngx_queue_empty(&failed)) {
        q = ngx_queue_head(&failed);
        cmd = ngx_queue_data(q, ngx_csq_redis_cmd_t, queue);

        ngx_queue_remove(q);

        ngx_csq_redis_finish(cmd, NGX_CSQ_REDIS_DOWN, NULL);
    }
}


ngx_uint_t
ngx_csq_redis_full(redisReply *reply)
{
    return reply->type == REDIS_REPLY_ERROR && reply->len >= 4
           && ngx_strncmp(reply->str, "OOM ", 4) == 0;
}
