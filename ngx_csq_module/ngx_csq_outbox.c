
/*
 * Copyright (C) ngx_csq_module authors
 *
 * The outbox's sender (R1.4, R7.2, R7.3).  Every worker claims what is due
 * in tenants' outboxes (outbox_claim.lua: one sender at a time, for a
 * lease) and posts each entry to its channel's url through nginx's own
 * upstream machinery: a request of the worker's own, on a connection with
 * no socket, makes a subrequest to the location marked csq_outbox, whose
 * proxy_pass reads the url from $csq_outbox_url; keepalive, timeouts, TLS
 * and resolving are that location's.  The receiver's status goes back to
 * Redis (outbox_done.lua), which decides what comes next: the entry is
 * sent, due again later, or dead.  Workers hear of new entries on the
 * pub/sub channel csq:outbox; a tenant with entries due later is watched
 * by a timer; the tick finds what a lost wake-up left (ngx_csq_tick.c).
 */


#include "ngx_csq_outbox.h"
#include "ngx_csq_redis.h"
#include "ngx_csq_redis_sub.h"
#include "ngx_csq_auth.h"
#include "ngx_csq_functions.h"


#define NGX_CSQ_OUTBOX_TENANTS   256     /* tenants a worker watches */
#define NGX_CSQ_OUTBOX_CLAIM     16      /* entries a claim asks for */
#define NGX_CSQ_OUTBOX_ARGS      7
#define NGX_CSQ_OUTBOX_RETRY     1000    /* Redis was away: ms */
#define NGX_CSQ_OUTBOX_CHANNEL   "csq:outbox"


typedef struct {
    u_char                   tenant[NGX_CSQ_ID_MAX];
    size_t                   len;
    ngx_msec_t               due;        /* ngx_current_msec to claim at */
    ngx_uint_t               asked;      /* entries the claim asked for */
    unsigned                 watched:1;
    unsigned                 claiming:1;
} ngx_csq_outbox_tenant_t;


typedef struct {
    ngx_pool_t              *pool;
    ngx_http_request_t      *r;          /* the worker's own request */
    ngx_event_t              free;       /* posted: frees it all */
    ngx_str_t                tenant;
    ngx_str_t                id;
    ngx_uint_t               attempt;
    ngx_uint_t               status;     /* the receiver's, 0 none */
    ngx_str_t                detail;
} ngx_csq_outbox_send_t;


static void ngx_csq_outbox_run(ngx_event_t *ev);
static void ngx_csq_outbox_arm(ngx_msec_t ms);
static void ngx_csq_outbox_watch(ngx_csq_outbox_tenant_t *t,
    ngx_int_t next_due, ngx_msec_t least);
static void ngx_csq_outbox_claimed(void *data, ngx_int_t rc,
    redisReply *reply);
static void ngx_csq_outbox_send(ngx_csq_outbox_tenant_t *t,
    redisReply *e);
static ngx_int_t ngx_csq_outbox_request(ngx_csq_outbox_send_t *s,
    ngx_str_t *url, ngx_str_t *body, ngx_str_t *channel,
    ngx_uint_t generation);
static ngx_int_t ngx_csq_outbox_header(ngx_http_request_t *r, char *name,
    u_char *value, size_t len);
static ngx_int_t ngx_csq_outbox_answered(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_csq_outbox_finished(ngx_http_request_t *r);
static void ngx_csq_outbox_report(ngx_csq_outbox_send_t *s);
static void ngx_csq_outbox_reported(void *data, ngx_int_t rc,
    redisReply *reply);
static void ngx_csq_outbox_free(ngx_event_t *ev);
static void ngx_csq_outbox_close(ngx_connection_t *c);
static void ngx_csq_outbox_wake_at(ngx_str_t *tenant, ngx_int_t next_due);
static void ngx_csq_outbox_message(ngx_csq_sub_t *sub, u_char *data,
    size_t len);
static void ngx_csq_outbox_ready(ngx_csq_sub_t *sub);
static void ngx_csq_outbox_args(ngx_str_t *argv, u_char *key, u_char *now,
    ngx_str_t *tenant);
static ngx_int_t ngx_csq_outbox_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_csq_outbox_tenant_t
                          ngx_csq_outbox_tenants[NGX_CSQ_OUTBOX_TENANTS];
static ngx_csq_main_conf_t  *ngx_csq_outbox_cmcf;
static ngx_event_t           ngx_csq_outbox_timer;
static ngx_csq_sub_t         ngx_csq_outbox_sub;
static ngx_uint_t            ngx_csq_outbox_busy;  /* sends and claims */
static struct sockaddr_in    ngx_csq_outbox_sin;   /* 127.0.0.1 */
static ngx_str_t             ngx_csq_outbox_name =
    ngx_string("csq_outbox_url");
static ngx_str_t             ngx_csq_outbox_post = ngx_string("POST");
static ngx_str_t             ngx_csq_outbox_loopback =
    ngx_string("127.0.0.1");


/*
 * csq_outbox (in a location): the outbox's posts go through this
 * location, whose proxy_pass names $csq_outbox_url; one in the http block
 */

char *
ngx_csq_outbox_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_conf_ctx_t       *ctx;
    ngx_csq_main_conf_t       *cmcf;
    ngx_csq_outbox_loc_t      *ol;
    ngx_http_core_loc_conf_t  *hclcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_csq_module);

    if (cmcf->outbox) {
        return "is duplicate: one location sends the outbox";
    }

    hclcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (hclcf->regex || hclcf->named || hclcf->noname) {
        return "must be in a location of a plain uri";
    }

    ol = ngx_pcalloc(cf->pool, sizeof(ngx_csq_outbox_loc_t));
    if (ol == NULL) {
        return NGX_CONF_ERROR;
    }

    ctx = cf->ctx;

    ol->main_conf = ctx->main_conf;
    ol->srv_conf = ctx->srv_conf;
    ol->loc_conf = ctx->loc_conf;
    ol->uri = hclcf->name;

    ol->url_index = ngx_http_get_variable_index(cf, &ngx_csq_outbox_name);
    if (ol->url_index == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    cmcf->outbox = ol;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_csq_outbox_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *v;

    v = ngx_http_add_variable(cf, &ngx_csq_outbox_name, 0);
    if (v == NULL) {
        return NGX_ERROR;
    }

    v->get_handler = ngx_csq_outbox_variable;

    return NGX_OK;
}


/* set only in the outbox's own requests (ngx_csq_outbox_request) */

static ngx_int_t
ngx_csq_outbox_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    v->not_found = 1;

    return NGX_OK;
}


ngx_int_t
ngx_csq_outbox_allowed(ngx_csq_main_conf_t *cmcf, ngx_str_t *url)
{
    ngx_str_t   *allow;
    ngx_uint_t   i;

    if (cmcf->outbox_allow == NULL) {
        return NGX_DECLINED;
    }

    allow = cmcf->outbox_allow->elts;

    for (i = 0; i < cmcf->outbox_allow->nelts; i++) {
        if (url->len >= allow[i].len
            && ngx_strncmp(url->data, allow[i].data, allow[i].len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_csq_outbox_init(ngx_cycle_t *cycle, ngx_csq_main_conf_t *cmcf)
{
    ngx_str_t  name;

    if (cmcf->outbox == NULL) {
        return NGX_OK;
    }

    ngx_csq_outbox_cmcf = cmcf;
    ngx_csq_outbox_busy = 0;
    ngx_memzero(ngx_csq_outbox_tenants, sizeof(ngx_csq_outbox_tenants));

    ngx_csq_outbox_sin.sin_family = AF_INET;
    ngx_csq_outbox_sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    ngx_csq_outbox_timer.handler = ngx_csq_outbox_run;
    ngx_csq_outbox_timer.data = &ngx_csq_timer_conn;
    ngx_csq_outbox_timer.log = cycle->log;
    ngx_csq_outbox_timer.cancelable = 1;

    ngx_csq_outbox_sub.on_message = ngx_csq_outbox_message;
    ngx_csq_outbox_sub.on_ready = ngx_csq_outbox_ready;

    ngx_str_set(&name, NGX_CSQ_OUTBOX_CHANNEL);

    return ngx_csq_sub_add(&ngx_csq_outbox_sub, &name);
}


void
ngx_csq_outbox_done_process(void)
{
    if (ngx_csq_outbox_timer.timer_set) {
        ngx_del_timer(&ngx_csq_outbox_timer);
    }
}


void
ngx_csq_outbox_wake(ngx_str_t *tenant)
{
    ngx_csq_outbox_wake_at(tenant, 1);
}


/* watch the tenant to claim at next_due (unix ms; the past: now) */

static void
ngx_csq_outbox_wake_at(ngx_str_t *tenant, ngx_int_t next_due)
{
    ngx_uint_t                i;
    ngx_csq_outbox_tenant_t  *t, *free;

    if (ngx_csq_outbox_cmcf == NULL || tenant->len == 0
        || tenant->len > NGX_CSQ_ID_MAX)
    {
        return;
    }

    free = NULL;

    for (i = 0; i < NGX_CSQ_OUTBOX_TENANTS; i++) {
        t = &ngx_csq_outbox_tenants[i];

        if (!t->watched && !t->claiming) {
            if (free == NULL) {
                free = t;
            }

            continue;
        }

        if (t->len == tenant->len
            && ngx_strncmp(t->tenant, tenant->data, t->len) == 0)
        {
            break;
        }
    }

    if (i == NGX_CSQ_OUTBOX_TENANTS) {

        /* watching as many as it may: the tick comes back for it */

        if (free == NULL) {
            return;
        }

        t = free;
        t->len = tenant->len;
        ngx_memcpy(t->tenant, tenant->data, tenant->len);
    }

    ngx_csq_outbox_watch(t, next_due, 0);
}


static void
ngx_csq_outbox_message(ngx_csq_sub_t *sub, u_char *data, size_t len)
{
    ngx_str_t  tenant;

    tenant.data = data;
    tenant.len = len;

    ngx_csq_outbox_wake(&tenant);
}


/* subscribed again: what was published meanwhile the tick finds */

static void
ngx_csq_outbox_ready(ngx_csq_sub_t *sub)
{
}


/* the timer fires within ms, or sooner as it was */

static void
ngx_csq_outbox_arm(ngx_msec_t ms)
{
    ngx_event_t  *ev;

    ev = &ngx_csq_outbox_timer;

    if (ev->timer_set
        && (ngx_msec_int_t) (ev->timer.key - (ngx_current_msec + ms)) <= 0)
    {
        return;
    }

    ngx_add_timer(ev, ms);
}


/* claims for every watched tenant that is due, while there is room */

static void
ngx_csq_outbox_run(ngx_event_t *ev)
{
    u_char                    key[NGX_CSQ_TENANT_KEY_LEN];
    u_char                    now[NGX_INT64_LEN + 4];
    u_char                    extra[2 * NGX_INT_T_LEN + 2];
    ngx_str_t                 argv[NGX_CSQ_OUTBOX_ARGS], tenant;
    ngx_uint_t                i, n, conc;
    ngx_msec_t                next;
    ngx_msec_int_t            left;
    ngx_csq_outbox_tenant_t  *t;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    conc = ngx_csq_outbox_cmcf->outbox_concurrency;
    next = NGX_TIMER_INFINITE;

    for (i = 0; i < NGX_CSQ_OUTBOX_TENANTS; i++) {
        t = &ngx_csq_outbox_tenants[i];

        if (!t->watched || t->claiming) {
            continue;
        }

        left = (ngx_msec_int_t) (t->due - ngx_current_msec);

        if (left > 0) {
            next = ngx_min(next, (ngx_msec_t) left);
            continue;
        }

        /* no room: the end of a send runs this again */

        if (ngx_csq_outbox_busy >= conc) {
            continue;
        }

        n = ngx_min(conc - ngx_csq_outbox_busy, NGX_CSQ_OUTBOX_CLAIM);

        tenant.data = t->tenant;
        tenant.len = t->len;

        ngx_csq_outbox_args(argv, key, now, &tenant);

        argv[6].data = extra;
        argv[6].len = ngx_sprintf(extra, "%ui %M", n,
                                  ngx_csq_outbox_cmcf->outbox_lease)
                      - extra;

        t->watched = 0;
        t->claiming = 1;
        t->asked = n;
        ngx_csq_outbox_busy += n;

        if (ngx_csq_redis_fcall(NGX_CSQ_FN_OUTBOX_CLAIM, 1, argv,
                                NGX_CSQ_OUTBOX_ARGS, ngx_csq_outbox_claimed,
                                t)
            == NULL)
        {
            t->claiming = 0;
            ngx_csq_outbox_busy -= n;
            t->watched = 1;
            t->due = ngx_current_msec + NGX_CSQ_OUTBOX_RETRY;
            next = ngx_min(next, NGX_CSQ_OUTBOX_RETRY);
        }
    }

    if (next != NGX_TIMER_INFINITE) {
        ngx_csq_outbox_arm(next);
    }
}


/* a call's arguments for a tenant, as the platform, now */

static void
ngx_csq_outbox_args(ngx_str_t *argv, u_char *key, u_char *now,
    ngx_str_t *tenant)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    ngx_memzero(argv, NGX_CSQ_OUTBOX_ARGS * sizeof(ngx_str_t));

    argv[0].data = key;
    argv[0].len = ngx_sprintf(key, "csq:{%V}:tenant", tenant) - key;
    argv[1].data = now;
    argv[1].len = ngx_sprintf(now, "%T%03M", tp->sec, tp->msec) - now;
    ngx_str_set(&argv[3], "platform");
}


/*
 * Watch the tenant again when Redis said something is due then (unix ms;
 * 0: nothing), at least least ms from now
 */

static void
ngx_csq_outbox_watch(ngx_csq_outbox_tenant_t *t, ngx_int_t next_due,
    ngx_msec_t least)
{
    ngx_msec_t   ms;
    ngx_time_t  *tp;
    ngx_int_t    now;

    if (next_due <= 0) {
        return;
    }

    tp = ngx_timeofday();
    now = (ngx_int_t) tp->sec * 1000 + tp->msec;

    ms = next_due > now ? (ngx_msec_t) (next_due - now) : 0;
    ms = ngx_max(ms, least);

    if (!t->watched
        || (ngx_msec_int_t) (t->due - (ngx_current_msec + ms)) > 0)
    {
        t->due = ngx_current_msec + ms;
    }

    t->watched = 1;

    ngx_csq_outbox_arm(ms);
}


/* { next due, { id, attempt, channel, generation, url, body } ... } */

static void
ngx_csq_outbox_claimed(void *data, ngx_int_t rc, redisReply *reply)
{
    ngx_csq_outbox_tenant_t  *t = data;

    ngx_uint_t   i, got;
    redisReply  *e;

    t->claiming = 0;
    ngx_csq_outbox_busy -= t->asked;

    if (rc != NGX_CSQ_REDIS_OK || reply->type != REDIS_REPLY_ARRAY
        || reply->elements == 0
        || reply->element[0]->type != REDIS_REPLY_INTEGER)
    {
        if (rc == NGX_CSQ_REDIS_OK) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "csq: outbox: claim failed: %s",
                          reply->type == REDIS_REPLY_ERROR ? reply->str
                                                          : "bad reply");
        }

        t->watched = 1;
        t->due = ngx_current_msec + NGX_CSQ_OUTBOX_RETRY;
        ngx_csq_outbox_arm(NGX_CSQ_OUTBOX_RETRY);
        return;
    }

    got = 0;

    for (i = 1; i < reply->elements; i++) {
        e = reply->element[i];

        if (e->type == REDIS_REPLY_ARRAY && e->elements == 6) {
            got++;
            ngx_csq_outbox_send(t, e);
        }
    }

    /* a full claim leaves more to claim now; else when Redis says */

    ngx_csq_outbox_watch(t, reply->element[0]->integer,
                         got == t->asked ? 0 : 50);

    ngx_csq_outbox_arm(0);
}


static ngx_int_t
ngx_csq_outbox_copy(ngx_pool_t *pool, redisReply *e, ngx_str_t *s)
{
    if (e->type != REDIS_REPLY_STRING) {
        return NGX_ERROR;
    }

    s->len = e->len;
    s->data = ngx_pnalloc(pool, e->len + 1);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, e->str, e->len);
    s->data[e->len] = '\0';

    return NGX_OK;
}


/* entry e of tenant t goes out; its end is reported in any case */

static void
ngx_csq_outbox_send(ngx_csq_outbox_tenant_t *t, redisReply *e)
{
    ngx_str_t               channel, gen, url, body;
    ngx_pool_t             *pool;
    ngx_csq_outbox_send_t  *s;

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return;     /* the lease runs out: it is sent again */
    }

    s = ngx_pcalloc(pool, sizeof(ngx_csq_outbox_send_t));
    if (s == NULL) {
        ngx_destroy_pool(pool);
        return;
    }

    s->pool = pool;
    s->tenant.len = t->len;
    s->tenant.data = ngx_pnalloc(pool, t->len);

    if (s->tenant.data == NULL
        || ngx_csq_outbox_copy(pool, e->element[0], &s->id) != NGX_OK
        || ngx_csq_outbox_copy(pool, e->element[2], &channel) != NGX_OK
        || ngx_csq_outbox_copy(pool, e->element[3], &gen) != NGX_OK
        || ngx_csq_outbox_copy(pool, e->element[4], &url) != NGX_OK
        || ngx_csq_outbox_copy(pool, e->element[5], &body) != NGX_OK
        || e->element[1]->type != REDIS_REPLY_INTEGER)
    {
        ngx_destroy_pool(pool);
        return;
    }

    ngx_memcpy(s->tenant.data, t->tenant, t->len);
    s->attempt = (ngx_uint_t) e->element[1]->integer;

    ngx_csq_outbox_busy++;

    if (ngx_csq_outbox_allowed(ngx_csq_outbox_cmcf, &url) != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "csq: outbox: \"%V\" is not allowed by "
                      "csq_outbox_allow: entry %V of tenant %V dies",
                      &url, &s->id, &s->tenant);
        s->status = 403;
        ngx_str_set(&s->detail, "not allowed by csq_outbox_allow");
        ngx_csq_outbox_report(s);
        return;
    }

    if (ngx_csq_outbox_request(s, &url, &body, &channel,
                               ngx_atoi(gen.data, gen.len))
        != NGX_OK)
    {
        ngx_str_set(&s->detail, "nginx could not make the request");
        ngx_csq_outbox_report(s);
    }
}


/*
 * The worker's own request: a connection without a socket (127.0.0.1 to
 * the location's access rules and logs), a request of the server that
 * holds the csq_outbox location, and its subrequest there in memory, so
 * that nothing is written to a client
 */

static ngx_int_t
ngx_csq_outbox_request(ngx_csq_outbox_send_t *s, ngx_str_t *url,
    ngx_str_t *body, ngx_str_t *channel, ngx_uint_t generation)
{
    u_char                       *p;
    time_t                        ts;
    ngx_buf_t                    *b;
    ngx_log_t                    *log;
    ngx_chain_t                  *cl;
    ngx_time_t                   *tp;
    ngx_connection_t             *c, *saved;
    ngx_http_log_ctx_t           *lctx;
    ngx_http_request_t           *r, *sr;
    ngx_csq_outbox_loc_t         *ol;
    ngx_http_variable_value_t    *v;
    ngx_http_core_loc_conf_t     *hclcf;
    ngx_http_core_main_conf_t    *hcmcf;
    ngx_http_post_subrequest_t   *ps;
    u_char                        key[NGX_CSQ_IDENTITY_KEY_LEN];
    u_char                        sig[NGX_CSQ_IDENTITY_KEY_LEN];

    ol = ngx_csq_outbox_cmcf->outbox;

    log = ngx_palloc(s->pool, sizeof(ngx_log_t));
    if (log == NULL) {
        return NGX_ERROR;
    }

    /* the csq_outbox location's error_log */

    hclcf = ol->loc_conf[ngx_http_core_module.ctx_index];
    *log = *hclcf->error_log;
    log->handler = NULL;

    /* nginx names the request it runs in the log's context */

    lctx = ngx_pcalloc(s->pool, sizeof(ngx_http_log_ctx_t));
    if (lctx == NULL) {
        return NGX_ERROR;
    }

    log->data = lctx;

    /* ngx_get_connection() wants a descriptor: descriptor 0's slot, kept */

    saved = ngx_cycle->files ? ngx_cycle->files[0] : NULL;

    c = ngx_get_connection(0, log);

    if (ngx_cycle->files) {
        ngx_cycle->files[0] = saved;
    }

    if (c == NULL) {
        return NGX_ERROR;
    }

    c->fd = (ngx_socket_t) -1;
    c->pool = s->pool;
    c->log = log;
    c->read->log = log;
    c->write->log = log;
    c->number = ngx_atomic_fetch_add(ngx_connection_counter, 1);
    log->connection = c->number;
    c->log_error = NGX_ERROR_INFO;

    /* nothing ever waits on it: its events are never added */
    c->read->active = 1;
    c->write->active = 1;

    c->sockaddr = (struct sockaddr *) &ngx_csq_outbox_sin;
    c->socklen = sizeof(struct sockaddr_in);
    c->local_sockaddr = c->sockaddr;
    c->local_socklen = c->socklen;
    c->addr_text = ngx_csq_outbox_loopback;

    r = ngx_pcalloc(s->pool, sizeof(ngx_http_request_t));
    if (r == NULL) {
        goto failed;
    }

    s->r = r;
    c->data = r;
    c->requests++;

    lctx->connection = c;
    lctx->request = r;
    lctx->current_request = r;

    r->signature = NGX_HTTP_MODULE;
    r->connection = c;
    r->pool = s->pool;
    r->main = r;
    r->count = 1;
    r->main_conf = ol->main_conf;
    r->srv_conf = ol->srv_conf;
    r->loc_conf = ol->loc_conf;

    r->ctx = ngx_pcalloc(s->pool, sizeof(void *) * ngx_http_max_module);

    hcmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    r->variables = ngx_pcalloc(s->pool, hcmcf->variables.nelts
                                        * sizeof(ngx_http_variable_value_t));

    if (r->ctx == NULL || r->variables == NULL
        || ngx_list_init(&r->headers_in.headers, s->pool, 8,
                         sizeof(ngx_table_elt_t)) != NGX_OK
        || ngx_list_init(&r->headers_out.headers, s->pool, 1,
                         sizeof(ngx_table_elt_t)) != NGX_OK
        || ngx_list_init(&r->headers_out.trailers, s->pool, 1,
                         sizeof(ngx_table_elt_t)) != NGX_OK)
    {
        goto failed;
    }

    ngx_http_set_ctx(r, s, ngx_http_csq_module);

    r->method = NGX_HTTP_POST;
    r->method_name = ngx_csq_outbox_post;
    r->http_version = NGX_HTTP_VERSION_11;
    ngx_str_set(&r->http_protocol, "HTTP/1.1");
    r->uri = ol->uri;
    r->unparsed_uri = ol->uri;
    r->request_line = ol->uri;
    r->internal = 1;
    r->uri_changes = NGX_HTTP_MAX_URI_CHANGES + 1;
    r->subrequests = NGX_HTTP_MAX_SUBREQUESTS + 1;
    r->http_state = NGX_HTTP_PROCESS_REQUEST_STATE;
    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_csq_outbox_finished;
    tp = ngx_timeofday();
    r->start_sec = tp->sec;
    r->start_msec = tp->msec;
    r->headers_in.keep_alive_n = -1;
    r->headers_in.content_length_n = body->len;

    /* $csq_outbox_url: set here, so its get handler is never asked */

    v = &r->variables[ol->url_index];
    v->data = url->data;
    v->len = url->len;
    v->valid = 1;

    /* the body, signed with the channel's key, and its idempotency key */

    b = ngx_calloc_buf(s->pool);
    cl = ngx_alloc_chain_link(s->pool);
    r->request_body = ngx_pcalloc(s->pool, sizeof(ngx_http_request_body_t));

    if (b == NULL || cl == NULL || r->request_body == NULL) {
        goto failed;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->start = b->pos;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;
    cl->buf = b;
    cl->next = NULL;
    r->request_body->bufs = cl;

    ts = ngx_time();

    ngx_csq_channel_key(&ngx_csq_outbox_cmcf->secret, &s->tenant, channel,
                        generation, key);

    if (ngx_csq_channel_sign(s->pool, key, ts, body, sig) != NGX_OK) {
        goto failed;
    }

    p = ngx_pnalloc(s->pool, NGX_TIME_T_LEN + 2 * NGX_INT_T_LEN
                             + sizeof(sig) + s->tenant.len + s->id.len + 4);
    if (p == NULL) {
        goto failed;
    }

    if (ngx_csq_outbox_header(r, "Content-Type",
                              (u_char *) "application/json",
                              sizeof("application/json") - 1) != NGX_OK
        || ngx_csq_outbox_header(r, "Idempotency-Key", p,
                                 ngx_sprintf(p, "%V:%V", &s->tenant, &s->id)
                                 - p) != NGX_OK)
    {
        goto failed;
    }

    p += s->tenant.len + 1 + s->id.len;

    if (ngx_csq_outbox_header(r, "X-Csq-Timestamp", p,
                              ngx_sprintf(p, "%T", ts) - p) != NGX_OK)
    {
        goto failed;
    }

    p += NGX_TIME_T_LEN;

    if (ngx_csq_outbox_header(r, "X-Csq-Signature", p,
                              ngx_sprintf(p, "%ui:%*s", generation,
                                          sizeof(sig), sig) - p) != NGX_OK)
    {
        goto failed;
    }

    p += NGX_INT_T_LEN + 1 + sizeof(sig);

    if (ngx_csq_outbox_header(r, "X-Csq-Attempt", p,
                              ngx_sprintf(p, "%ui", s->attempt) - p)
        != NGX_OK)
    {
        goto failed;
    }

    ps = ngx_palloc(s->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        goto failed;
    }

    ps->handler = ngx_csq_outbox_answered;
    ps->data = s;

    if (ngx_http_subrequest(r, &ol->uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY)
        != NGX_OK)
    {
        goto failed;
    }

    sr->method = NGX_HTTP_POST;
    sr->method_name = ngx_csq_outbox_post;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                   "csq: outbox: %V of %V to \"%V\"", &s->id, &s->tenant,
                   url);

    ngx_http_run_posted_requests(c);

    return NGX_OK;

failed:

    s->r = NULL;

    ngx_csq_outbox_close(c);

    return NGX_ERROR;
}


/* a header of the request to the receiver (the values are the pool's) */

static ngx_int_t
ngx_csq_outbox_header(ngx_http_request_t *r, char *name, u_char *value,
    size_t len)
{
    size_t            n;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    n = ngx_strlen(name);

    h->key.data = (u_char *) name;
    h->key.len = n;
    h->value.data = value;
    h->value.len = len;

    h->lowcase_key = ngx_pnalloc(r->pool, n);
    if (h->lowcase_key == NULL) {
        return NGX_ERROR;
    }

    h->hash = ngx_hash_strlow(h->lowcase_key, h->key.data, n);

    return NGX_OK;
}


/*
 * The subrequest is over: the receiver's status if it answered (its body
 * may have been too big to keep: it answered all the same), else none.
 * NGX_OK, whatever it was, so that nothing is sent to a client.
 */

static ngx_int_t
ngx_csq_outbox_answered(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_csq_outbox_send_t  *s = data;

    u_char  *p;

    if (sr->upstream && sr->upstream->headers_in.status_n) {
        s->status = sr->upstream->headers_in.status_n;
        return NGX_OK;
    }

    s->status = 0;

    p = ngx_pnalloc(s->pool, sizeof("no answer (nginx ") + NGX_INT_T_LEN);
    if (p != NULL) {
        s->detail.data = p;
        s->detail.len = ngx_sprintf(p, "no answer (nginx %i)", rc) - p;
    }

    return NGX_OK;
}


/* the worker's own request is woken when its subrequest is over */

static void
ngx_csq_outbox_finished(ngx_http_request_t *r)
{
    ngx_csq_outbox_send_t  *s;

    if (r->count != 1) {
        return;
    }

    s = ngx_http_get_module_ctx(r, ngx_http_csq_module);

    /* out of nginx's loop over the connection's requests first */

    s->free.handler = ngx_csq_outbox_free;
    s->free.data = s;
    s->free.log = ngx_cycle->log;

    ngx_post_event(&s->free, &ngx_posted_events);
}


/* the request and its connection go; the pool waits for the report */

static void
ngx_csq_outbox_free(ngx_event_t *ev)
{
    ngx_csq_outbox_send_t  *s = ev->data;

    ngx_connection_t    *c;
    ngx_http_cleanup_t  *cln;
    ngx_http_request_t  *r;

    r = s->r;
    c = r->connection;

    for (cln = r->cleanup; cln; cln = cln->next) {
        if (cln->handler) {
            cln->handler(cln->data);
        }
    }

    r->cleanup = NULL;
    s->r = NULL;

    ngx_csq_outbox_close(c);

    ngx_csq_outbox_report(s);
}


/* a connection of ngx_csq_outbox_request() goes back to the free list */

static void
ngx_csq_outbox_close(ngx_connection_t *c)
{
    ngx_connection_t  *saved;

    c->destroyed = 1;
    c->read->closed = 1;
    c->write->closed = 1;

    /* ngx_free_connection() wants a descriptor, as ngx_get_connection() */

    saved = ngx_cycle->files ? ngx_cycle->files[0] : NULL;
    c->fd = 0;

    ngx_free_connection(c);

    c->fd = (ngx_socket_t) -1;

    if (ngx_cycle->files) {
        ngx_cycle->files[0] = saved;
    }
}


/* how sending went, to Redis; the send's pool goes with the reply */

static void
ngx_csq_outbox_report(ngx_csq_outbox_send_t *s)
{
    u_char     key[NGX_CSQ_TENANT_KEY_LEN], now[NGX_INT64_LEN + 4];
    u_char     extra[2 * NGX_INT_T_LEN + 2 + 200];
    ngx_str_t  argv[NGX_CSQ_OUTBOX_ARGS];

    ngx_csq_outbox_args(argv, key, now, &s->tenant);

    argv[4] = s->id;
    argv[6].data = extra;
    argv[6].len = ngx_snprintf(extra, sizeof(extra), "%ui %ui %V",
                               s->attempt, s->status, &s->detail)
                  - extra;

    if (ngx_csq_redis_fcall(NGX_CSQ_FN_OUTBOX_DONE, 1, argv,
                            NGX_CSQ_OUTBOX_ARGS, ngx_csq_outbox_reported, s)
        == NULL)
    {
        /* the lease runs out and it is sent again */
        ngx_csq_outbox_reported(s, NGX_CSQ_REDIS_DOWN, NULL);
    }
}


/* { next due, counted } */

static void
ngx_csq_outbox_reported(void *data, ngx_int_t rc, redisReply *reply)
{
    ngx_csq_outbox_send_t  *s = data;

    ngx_str_t  tenant;

    ngx_csq_outbox_busy--;

    if (rc == NGX_CSQ_REDIS_OK && reply->type == REDIS_REPLY_ARRAY
        && reply->elements == 2
        && reply->element[0]->type == REDIS_REPLY_INTEGER)
    {
        tenant = s->tenant;

        ngx_log_debug4(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                       "csq: outbox: %V of %V: attempt %ui, status %ui",
                       &s->id, &tenant, s->attempt, s->status);

        if (reply->element[0]->integer > 0) {
            ngx_csq_outbox_wake_at(&tenant, reply->element[0]->integer);
        }

    } else if (rc == NGX_CSQ_REDIS_OK) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "csq: outbox: report failed: %s",
                      reply->type == REDIS_REPLY_ERROR ? reply->str
                                                      : "bad reply");
    }

    ngx_destroy_pool(s->pool);

    ngx_csq_outbox_arm(0);
}
