
/*
 * Copyright (C) ngx_csq_module authors
 *
 * The worker's one Redis pub/sub connection.  Sockets listen on channels
 * (a conversation's, an agent's); a channel is SUBSCRIBEd while it has
 * listeners and UNSUBSCRIBEd when the last one leaves.  After any
 * reconnect every channel is subscribed again and each listener is told,
 * so that it catches up from the durable log what pub/sub dropped.
 */


#include "ngx_csq_redis.h"
#include "ngx_csq_redis_sub.h"


#define NGX_CSQ_SUB_DOWN        0
#define NGX_CSQ_SUB_CONNECTING  1
#define NGX_CSQ_SUB_UP          2

#define NGX_CSQ_CH_NONE         0    /* not asked on this connection */
#define NGX_CSQ_CH_ASKED        1    /* SUBSCRIBE sent */
#define NGX_CSQ_CH_ON           2    /* confirmed */
#define NGX_CSQ_CH_LEAVING      3    /* UNSUBSCRIBE sent */

#define NGX_CSQ_SUB_BATCH       256  /* channels per SUBSCRIBE */
#define NGX_CSQ_SUB_BACKOFF_MIN 100
#define NGX_CSQ_SUB_BACKOFF_MAX 2000

/* the first failure in a row is an error, the retries that follow are not */
#define NGX_CSQ_SUB_FAIL_LEVEL                                               \
    (ngx_csq_sub.failures == 1 ? NGX_LOG_ERR : NGX_LOG_INFO)


struct ngx_csq_channel_s {
    ngx_str_node_t             sn;
    ngx_queue_t                listeners;
    ngx_uint_t                 state;
};


typedef struct {
    ngx_csq_main_conf_t       *cmcf;
    ngx_log_t                 *log;
    redisAsyncContext         *ac;
    ngx_uint_t                 state;
    ngx_uint_t                 setup;
    ngx_uint_t                 failures;
    ngx_msec_t                 backoff;
    ngx_event_t                timer;
    ngx_event_t                notify;     /* posted: run on_ready */
    ngx_queue_t                ready;
    ngx_rbtree_t               tree;
    ngx_rbtree_node_t          sentinel;
    ngx_uint_t                 count;
    unsigned                   running:1;
    unsigned                   was_up:1;
} ngx_csq_sub_conn_t;


static void ngx_csq_sub_connect(void);
static void ngx_csq_sub_on_connect(const redisAsyncContext *ac,
    int status);
static void ngx_csq_sub_on_disconnect(const redisAsyncContext *ac,
    int status);
static void ngx_csq_sub_setup_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void ngx_csq_sub_up(void);
static void ngx_csq_sub_lost(void);
static void ngx_csq_sub_timer(ngx_event_t *ev);
static void ngx_csq_sub_notify(ngx_event_t *ev);
static void ngx_csq_sub_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void ngx_csq_sub_command(char *cmd, ngx_csq_channel_t **chs,
    ngx_uint_t n);
static void ngx_csq_sub_ready(ngx_csq_channel_t *ch);
static void ngx_csq_sub_free(ngx_csq_channel_t *ch);
static ngx_csq_channel_t **ngx_csq_sub_all(void);
static void ngx_csq_sub_walk(ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel, ngx_csq_channel_t ***out);


static ngx_csq_sub_conn_t  ngx_csq_sub;


ngx_int_t
ngx_csq_sub_init(ngx_cycle_t *cycle, ngx_csq_main_conf_t *cmcf)
{
    ngx_csq_sub_conn_t  *s = &ngx_csq_sub;

    s->cmcf = cmcf;
    s->log = cycle->log;
    s->state = NGX_CSQ_SUB_DOWN;

    ngx_rbtree_init(&s->tree, &s->sentinel, ngx_str_rbtree_insert_value);
    ngx_queue_init(&s->ready);

    s->timer.handler = ngx_csq_sub_timer;
    s->timer.data = &ngx_csq_timer_conn;
    s->timer.log = cycle->log;
    s->timer.cancelable = 1;

    s->notify.handler = ngx_csq_sub_notify;
    s->notify.data = &ngx_csq_timer_conn;
    s->notify.log = cycle->log;

    s->running = 1;

    ngx_csq_sub_connect();

    return NGX_OK;
}


void
ngx_csq_sub_done(ngx_cycle_t *cycle)
{
    redisAsyncContext   *ac;
    ngx_csq_sub_conn_t  *s = &ngx_csq_sub;

    if (!s->running) {
        return;
    }

    s->running = 0;

    if (s->timer.timer_set) {
        ngx_del_timer(&s->timer);
    }

    if (s->notify.posted) {
        ngx_delete_posted_event(&s->notify);
    }

    ac = s->ac;

    if (ac) {
        s->ac = NULL;
        redisAsyncFree(ac);
    }

    while (s->tree.root != s->tree.sentinel) {
        ngx_csq_sub_free((ngx_csq_channel_t *) s->tree.root);
    }
}


ngx_uint_t
ngx_csq_sub_channels(void)
{
    return ngx_csq_sub.count;
}


ngx_int_t
ngx_csq_sub_add(ngx_csq_sub_t *sub, ngx_str_t *name)
{
    uint32_t             hash;
    ngx_csq_channel_t   *ch;
    ngx_csq_sub_conn_t  *s = &ngx_csq_sub;

    hash = ngx_crc32_short(name->data, name->len);

    ch = (ngx_csq_channel_t *) ngx_str_rbtree_lookup(&s->tree, name, hash);

    if (ch == NULL) {
        ch = ngx_alloc(sizeof(ngx_csq_channel_t) + name->len, s->log);
        if (ch == NULL) {
            return NGX_ERROR;
        }

        ch->sn.str.len = name->len;
        ch->sn.str.data = (u_char *) (ch + 1);
        ngx_memcpy(ch->sn.str.data, name->data, name->len);
        ch->sn.node.key = hash;
        ch->state = NGX_CSQ_CH_NONE;
        ngx_queue_init(&ch->listeners);

        ngx_rbtree_insert(&s->tree, &ch->sn.node);
        s->count++;
    }

    sub->channel = ch;
    sub->ready.next = NULL;
    ngx_queue_insert_tail(&ch->listeners, &sub->queue);

    switch (ch->state) {

    case NGX_CSQ_CH_ON:
        ngx_queue_insert_tail(&s->ready, &sub->ready);
        ngx_post_event(&s->notify, &ngx_posted_events);
        break;

    case NGX_CSQ_CH_NONE:
        if (s->state == NGX_CSQ_SUB_UP) {
            ngx_csq_sub_command("SUBSCRIBE", &ch, 1);
        }
        break;

    default:
        /* asked, or leaving: its unsubscribe reply subscribes again */
        break;
    }

    return NGX_OK;
}


void
ngx_csq_sub_del(ngx_csq_sub_t *sub)
{
    ngx_csq_channel_t   *ch;
    ngx_csq_sub_conn_t  *s = &ngx_csq_sub;

    ch = sub->channel;

    if (ch == NULL) {
        return;
    }

    sub->channel = NULL;
    ngx_queue_remove(&sub->queue);

    if (sub->ready.next) {
        ngx_queue_remove(&sub->ready);
        sub->ready.next = NULL;
    }

    if (!ngx_queue_empty(&ch->listeners)) {
        return;
    }

    if (s->state == NGX_CSQ_SUB_UP
        && (ch->state == NGX_CSQ_CH_ON || ch->state == NGX_CSQ_CH_ASKED))
    {
        ngx_csq_sub_command("UNSUBSCRIBE", &ch, 1);
        return;
    }

    if (ch->state != NGX_CSQ_CH_LEAVING) {
        ngx_csq_sub_free(ch);
    }
}


static void
ngx_csq_sub_connect(void)
{
    redisAsyncContext   *ac;
    ngx_csq_sub_conn_t  *s = &ngx_csq_sub;

    s->failures++;

    ac = ngx_csq_redis_open(s->log, NGX_CSQ_SUB_FAIL_LEVEL);
    if (ac == NULL) {
        ngx_csq_sub_lost();
        return;
    }

    redisAsyncSetConnectCallback(ac, ngx_csq_sub_on_connect);
    redisAsyncSetDisconnectCallback(ac, ngx_csq_sub_on_disconnect);

    s->ac = ac;
    s->state = NGX_CSQ_SUB_CONNECTING;

    ngx_add_timer(&s->timer, s->cmcf->redis_timeout);
}


static void
ngx_csq_sub_on_connect(const redisAsyncContext *ac, int status)
{
    ngx_csq_sub_conn_t  *s = &ngx_csq_sub;

    if (status != REDIS_OK) {
        ngx_log_error(NGX_CSQ_SUB_FAIL_LEVEL, s->log, 0,
                      "csq: redis %V: subscriber connect "
                      "failed: %s", &s->cmcf->redis_addr, ac->errstr);

        s->ac = NULL;       /* hiredis frees it */
        ngx_csq_sub_lost();
        return;
    }

    s->setup = ngx_csq_redis_login((redisAsyncContext *) ac,
                                   ngx_csq_sub_setup_reply);

    if (s->setup == 0) {
        ngx_csq_sub_up();
    }
}


static void
ngx_csq_sub_setup_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply  *reply = r;

    ngx_csq_sub_conn_t  *s = &ngx_csq_sub;

    if (reply == NULL || s->ac != ac
        || s->state != NGX_CSQ_SUB_CONNECTING)
    {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "csq: redis %V: subscriber %s failed: %s",
                      &s->cmcf->redis_addr, (char *) privdata, reply->str);
        s->state = NGX_CSQ_SUB_DOWN;
        redisAsyncDisconnect(ac);
        return;
    }

    if (--s->setup == 0) {
        ngx_csq_sub_up();
    }
}


/* connected: every channel with listeners is subscribed again */

static void
ngx_csq_sub_up(void)
{
    ngx_uint_t            i, n, total;
    ngx_csq_channel_t   **chs;
    ngx_csq_sub_conn_t   *s = &ngx_csq_sub;

    if (s->timer.timer_set) {
        ngx_del_timer(&s->timer);
    }

    if (s->was_up || s->failures > 1) {
        ngx_log_error(NGX_LOG_NOTICE, s->log, 0,
                      "csq: redis %V: subscriber connected again, "
                      "%ui channels", &s->cmcf->redis_addr, s->count);
    }

    s->state = NGX_CSQ_SUB_UP;
    s->failures = 0;
    s->backoff = 0;
    s->was_up = 1;

    /*
     * a channel of this worker's own, never left: hiredis 0.14 leaves
     * subscribed mode when a reply counts 0 subscriptions, and then
     * aborts on a later subscribe reply of a channel asked meanwhile
     */

    if (redisAsyncCommand(s->ac, ngx_csq_sub_reply, NULL,
                          "SUBSCRIBE csq:worker:%d", (int) ngx_pid)
        != REDIS_OK)
    {
        return;
    }

    if (s->count == 0) {
        return;
    }

    total = s->count;

    chs = ngx_csq_sub_all();
    if (chs == NULL) {
        redisAsyncDisconnect(s->ac);
        return;
    }

    n = 0;

    for (i = 0; i < total; i++) {
        if (ngx_queue_empty(&chs[i]->listeners)) {
            ngx_csq_sub_free(chs[i]);
            continue;
        }

        chs[n++] = chs[i];
    }

    for (i = 0;
         i < n && s->state == NGX_CSQ_SUB_UP && s->ac != NULL;
         i += NGX_CSQ_SUB_BATCH)
    {
        ngx_csq_sub_command("SUBSCRIBE", &chs[i],
                            ngx_min(NGX_CSQ_SUB_BATCH, n - i));
    }

    ngx_free(chs);
}


/* every channel, in an array the caller frees (the tree may change) */

static ngx_csq_channel_t **
ngx_csq_sub_all(void)
{
    ngx_csq_channel_t   **all, **p;
    ngx_csq_sub_conn_t   *s = &ngx_csq_sub;

    all = ngx_alloc((s->count + 1) * sizeof(ngx_csq_channel_t *), s->log);
    if (all == NULL) {
        return NULL;
    }

    p = all;
    ngx_csq_sub_walk(s->tree.root, s->tree.sentinel, &p);

    return all;
}


static void
ngx_csq_sub_walk(ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel,
    ngx_csq_channel_t ***out)
{
    if (node == sentinel) {
        return;
    }

    ngx_csq_sub_walk(node->left, sentinel, out);

    *(*out)++ = (ngx_csq_channel_t *) node;

    ngx_csq_sub_walk(node->right, sentinel, out);
}


static void
ngx_csq_sub_on_disconnect(const redisAsyncContext *ac, int status)
{
    ngx_csq_sub_conn_t  *s = &ngx_csq_sub;

    if (s->ac != ac) {
        return;     /* freed on purpose */
    }

    if (s->state == NGX_CSQ_SUB_UP) {
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "csq: redis %V: subscriber lost: %s",
                      &s->cmcf->redis_addr,
                      ac->errstr[0] ? ac->errstr : "closed");
    }

    s->ac = NULL;
    ngx_csq_sub_lost();
}


/* no connection: channels forget their state; retry after a backoff */

static void
ngx_csq_sub_lost(void)
{
    ngx_uint_t            i, total;
    ngx_csq_channel_t   **chs;
    ngx_csq_sub_conn_t   *s = &ngx_csq_sub;

    s->state = NGX_CSQ_SUB_DOWN;

    if (!s->running) {
        return;
    }

    total = s->count;
    chs = total ? ngx_csq_sub_all() : NULL;

    if (chs) {
        for (i = 0; i < total; i++) {
            if (ngx_queue_empty(&chs[i]->listeners)) {
                ngx_csq_sub_free(chs[i]);

            } else {
                chs[i]->state = NGX_CSQ_CH_NONE;
            }
        }

        ngx_free(chs);
    }

    if (s->timer.timer_set) {
        ngx_del_timer(&s->timer);
    }

    s->backoff = s->backoff ? ngx_min(s->backoff * 2,
                                      NGX_CSQ_SUB_BACKOFF_MAX)
                            : NGX_CSQ_SUB_BACKOFF_MIN;

    ngx_add_timer(&s->timer, s->backoff);
}


static void
ngx_csq_sub_timer(ngx_event_t *ev)
{
    redisAsyncContext   *ac;
    ngx_csq_sub_conn_t  *s = &ngx_csq_sub;

    if (s->state == NGX_CSQ_SUB_DOWN && s->ac == NULL) {
        ngx_csq_sub_connect();
        return;
    }

    ngx_log_error(NGX_CSQ_SUB_FAIL_LEVEL, s->log, 0,
                  "csq: redis %V: subscriber connect timed out",
                  &s->cmcf->redis_addr);

    ac = s->ac;
    s->ac = NULL;

    if (ac) {
        redisAsyncFree(ac);
    }

    ngx_csq_sub_lost();
}


static void
ngx_csq_sub_command(char *cmd, ngx_csq_channel_t **chs, ngx_uint_t n)
{
    ngx_uint_t            i;
    const char           *argv[NGX_CSQ_SUB_BATCH + 1];
    size_t                argvlen[NGX_CSQ_SUB_BATCH + 1];
    ngx_csq_sub_conn_t   *s = &ngx_csq_sub;

    argv[0] = cmd;
    argvlen[0] = ngx_strlen(cmd);

    for (i = 0; i < n; i++) {
        argv[i + 1] = (const char *) chs[i]->sn.str.data;
        argvlen[i + 1] = chs[i]->sn.str.len;
        chs[i]->state = (cmd[0] == 'S') ? NGX_CSQ_CH_ASKED
                                        : NGX_CSQ_CH_LEAVING;
    }

    if (redisAsyncCommandArgv(s->ac, ngx_csq_sub_reply, NULL, n + 1,
                              argv, argvlen)
        != REDIS_OK)
    {
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "csq: redis: %s could not be sent", cmd);
        redisAsyncDisconnect(s->ac);
    }
}


static void
ngx_csq_sub_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply  *reply = r;

    uint32_t             hash;
    ngx_str_t            name;
    ngx_queue_t         *q, *next;
    redisReply          *kind, *data;
    ngx_csq_sub_t       *sub;
    ngx_csq_channel_t   *ch;
    ngx_csq_sub_conn_t  *s = &ngx_csq_sub;

    if (reply == NULL || s->ac != ac) {
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3
        || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[1]->type != REDIS_REPLY_STRING)
    {
        if (reply->type == REDIS_REPLY_ERROR) {
            ngx_log_error(NGX_LOG_ERR, s->log, 0,
                          "csq: redis: subscriber error: %s", reply->str);
        }

        return;
    }

    kind = reply->element[0];
    name.data = (u_char *) reply->element[1]->str;
    name.len = reply->element[1]->len;
    hash = ngx_crc32_short(name.data, name.len);

    ch = (ngx_csq_channel_t *) ngx_str_rbtree_lookup(&s->tree, &name, hash);

    if (ch == NULL) {
        return;
    }

    switch (kind->str[0]) {

    case 'm':   /* message */
        data = reply->element[2];

        if (data->type != REDIS_REPLY_STRING) {
            return;
        }

        for (q = ngx_queue_head(&ch->listeners);
             q != ngx_queue_sentinel(&ch->listeners);
             q = next)
        {
            next = ngx_queue_next(q);
            sub = ngx_queue_data(q, ngx_csq_sub_t, queue);
            sub->on_message(sub, (u_char *) data->str, data->len);
        }

        return;

    case 's':   /* subscribe */
        if (ch->state == NGX_CSQ_CH_ASKED) {
            ch->state = NGX_CSQ_CH_ON;
            ngx_csq_sub_ready(ch);
        }

        return;

    case 'u':   /* unsubscribe */
        if (ch->state != NGX_CSQ_CH_LEAVING) {
            return;
        }

        if (ngx_queue_empty(&ch->listeners)) {
            ngx_csq_sub_free(ch);

        } else {
            ngx_csq_sub_command("SUBSCRIBE", &ch, 1);
        }

        return;
    }
}


static void
ngx_csq_sub_ready(ngx_csq_channel_t *ch)
{
    ngx_queue_t         *q;
    ngx_csq_sub_t       *sub;
    ngx_csq_sub_conn_t  *s = &ngx_csq_sub;

    for (q = ngx_queue_head(&ch->listeners);
         q != ngx_queue_sentinel(&ch->listeners);
         q = ngx_queue_next(q))
    {
        sub = ngx_queue_data(q, ngx_csq_sub_t, queue);

        if (sub->ready.next == NULL) {
            ngx_queue_insert_tail(&s->ready, &sub->ready);
        }
    }

    ngx_post_event(&s->notify, &ngx_posted_events);
}


static void
ngx_csq_sub_notify(ngx_event_t *ev)
{
    ngx_queue_t         *q;
    ngx_csq_sub_t       *sub;
    ngx_csq_sub_conn_t  *s = &ngx_csq_sub;

    while (!ngx_queue_empty(&s->ready)) {
        q = ngx_queue_head(&s->ready);
        ngx_queue_remove(q);

        sub = ngx_queue_data(q, ngx_csq_sub_t, ready);
        sub->ready.next = NULL;

        if (sub->on_ready) {
            sub->on_ready(sub);
        }
    }
}


static void
ngx_csq_sub_free(ngx_csq_channel_t *ch)
{
    ngx_queue_t         *q;
    ngx_csq_sub_t       *sub;
    ngx_csq_sub_conn_t  *s = &ngx_csq_sub;

    while (!ngx_queue_empty(&ch->listeners)) {
        q = ngx_queue_head(&ch->listeners);
        ngx_queue_remove(q);

        sub = ngx_queue_data(q, ngx_csq_sub_t, queue);
        sub->channel = NULL;

        if (sub->ready.next) {
            ngx_queue_remove(&sub->ready);
            sub->ready.next = NULL;
        }
    }

    ngx_rbtree_delete(&s->tree, &ch->sn.node);
    s->count--;

    ngx_free(ch);
}
