
/*
 * Copyright (C) ngx_csq_module authors
 *
 * The customer and agent sockets (R5.1, R5.2, R2.6): the handshake asks
 * Redis whether the socket may open and what it listens on; once every
 * channel is subscribed the socket gets its hello (and a customer the log
 * after the last id it saw); then client frames become script calls
 * (message, typing, read, sync, status) answered by ack or error, and
 * channel messages become frames.  Each conversation the socket follows
 * has a cursor, the last log id sent: nothing is sent twice, and what
 * pub/sub dropped (a Redis reconnect) is read back from the log.
 */


#include "ngx_csq_module.h"
#include "ngx_csq_chat.h"
#include "ngx_csq_http.h"
#include "ngx_csq_call.h"
#include "ngx_csq_redis.h"
#include "ngx_csq_json.h"
#include "ngx_csq_auth.h"
#include "ngx_csq_ws.h"
#include "ngx_csq_sub.h"


#define NGX_CSQ_CHAT_CALLS_MAX   32     /* a socket's calls in flight */
#define NGX_CSQ_CHAT_CALLS_LOW   8
#define NGX_CSQ_CHAT_HISTORY     "100"
#define NGX_CSQ_CHAT_REF_MAX     64
#define NGX_CSQ_CHAT_CURSORS_MAX 1000   /* conversations a socket follows */

/* what a call's reply is for */
#define NGX_CSQ_CALL_HELLO       1
#define NGX_CSQ_CALL_SYNC        2      /* the socket's own catch-up */
#define NGX_CSQ_CALL_HISTORY     3      /* a client's sync */
#define NGX_CSQ_CALL_ASK         4      /* answered by ack or error */
#define NGX_CSQ_CALL_QUIET       5      /* answered by an error only */


typedef struct {
    ngx_str_t                  conversation;
    uint64_t                   ms;      /* the last log id sent */
    uint64_t                   seq;
    unsigned                   syncing:1;
    unsigned                   dirty:1;  /* missed something meanwhile */
} ngx_csq_cursor_t;


typedef struct ngx_csq_chat_s  ngx_csq_chat_t;


typedef struct {
    ngx_queue_t                queue;
    ngx_csq_redis_cmd_t       *cmd;
    ngx_csq_chat_t            *chat;
    ngx_uint_t                 kind;
    ngx_uint_t                 cursor;
    size_t                     ref_len;
    u_char                     ref[NGX_CSQ_CHAT_REF_MAX];
} ngx_csq_chat_call_t;


struct ngx_csq_chat_s {
    ngx_csq_ws_t              *ws;
    ngx_csq_loc_conf_t        *conf;
    ngx_str_t                  key;           /* csq:{t}:tenant */
    ngx_str_t                  actor;
    ngx_uint_t                 role;
    ngx_str_t                  sock;          /* this socket's id */
    ngx_csq_sub_t             *subs;
    ngx_uint_t                 nsubs;
    ngx_uint_t                 nready;
    ngx_array_t                cursors;       /* of ngx_csq_cursor_t */
    ngx_queue_t                calls;
    ngx_uint_t                 ncalls;
    unsigned                   hello_sent:1;
    unsigned                   hello_pending:1;
    unsigned                   started:1;     /* the hello is out */
    unsigned                   resync:1;      /* catch up after the hello */
    unsigned                   again:1;       /* another hello after it */
    unsigned                   closed:1;
};


/* the handshake's state, in the request */
typedef struct {
    ngx_str_t                  tenant;
    ngx_csq_token_t           *token;
    ngx_str_t                  conversation;
    ngx_str_t                  after;
} ngx_csq_chat_open_t;


static ngx_int_t ngx_csq_chat_opened(ngx_http_request_t *r, void *data);
static ngx_int_t ngx_csq_chat_arg(ngx_http_request_t *r, char *name,
    ngx_str_t *value, ngx_uint_t id);
static ngx_int_t ngx_csq_chat_parse_id(u_char *p, size_t len,
    uint64_t *ms, uint64_t *seq);
static ngx_csq_cursor_t *ngx_csq_chat_cursor(ngx_csq_chat_t *chat,
    u_char *conversation, size_t len, ngx_uint_t create);
static void ngx_csq_chat_ready(ngx_csq_sub_t *sub);
static void ngx_csq_chat_hello(ngx_csq_chat_t *chat);
static void ngx_csq_chat_sync(ngx_csq_chat_t *chat, ngx_uint_t i);
static void ngx_csq_chat_live(ngx_csq_sub_t *sub, u_char *data, size_t len);
static void ngx_csq_chat_message(ngx_csq_ws_t *ws, u_char *data,
    size_t len);
static void ngx_csq_chat_ping(ngx_csq_ws_t *ws);
static void ngx_csq_chat_close(ngx_csq_ws_t *ws);
static ngx_int_t ngx_csq_chat_call(ngx_csq_chat_t *chat, ngx_uint_t script,
    ngx_str_t *id, ngx_str_t *body, ngx_str_t *extra, ngx_uint_t kind,
    ngx_uint_t cursor, ngx_str_t *ref);
static void ngx_csq_chat_reply(void *data, ngx_int_t rc, redisReply *reply);
static void ngx_csq_chat_frames(ngx_csq_chat_t *chat, ngx_uint_t i,
    redisReply *reply, ngx_uint_t all);
static void ngx_csq_chat_answer(ngx_csq_chat_t *chat,
    ngx_csq_chat_call_t *call, ngx_uint_t ok, u_char *json, size_t len);
static void ngx_csq_chat_error(ngx_csq_chat_t *chat, ngx_str_t *ref,
    char *code, char *message);
static void ngx_csq_chat_ignore(void *data, ngx_int_t rc,
    redisReply *reply);


ngx_int_t
ngx_csq_chat_handler(ngx_http_request_t *r, ngx_str_t *tenant,
    ngx_csq_token_t *tk, ngx_uint_t customer)
{
    char                 *why;
    ngx_int_t             rc;
    ngx_str_t             argv[8], origin, version;
    ngx_csq_ctx_t        *ctx;
    ngx_csq_chat_open_t  *open;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_csq_ws_check(r, &why);

    if (rc != NGX_OK) {
        ngx_str_set(&version, "13");

        if (rc == NGX_CSQ_HTTP_UPGRADE_REQUIRED
            && ngx_csq_add_header(r, "Sec-WebSocket-Version", &version)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_csq_json_error(r, rc,
                                  rc == NGX_CSQ_HTTP_UPGRADE_REQUIRED
                                  ? "upgrade_required" : "bad_handshake",
                                  why);
    }

    if (customer ? tk->role != NGX_CSQ_ROLE_CUSTOMER
                 : (tk->role < NGX_CSQ_ROLE_AGENT
                    || tk->role == NGX_CSQ_ROLE_PLATFORM))
    {
        return ngx_csq_json_error(r, NGX_HTTP_FORBIDDEN, "forbidden",
                                  customer ? "this socket is for customers"
                                           : "this socket is for agents");
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);

    open = ngx_pcalloc(r->pool, sizeof(ngx_csq_chat_open_t));
    if (open == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    open->tenant = *tenant;
    open->token = tk;
    ctx->data = open;

    if (customer
        && ngx_csq_chat_arg(r, "conversation", &open->conversation, 1)
           != NGX_OK)
    {
        return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST, "invalid_field",
                                  "\"conversation\" must be a "
                                  "conversation id");
    }

    if (ngx_csq_chat_arg(r, "after", &open->after, 0) != NGX_OK) {
        return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST, "invalid_field",
                                  "\"after\" must be a message id");
    }

    /* the page's Origin, checked against the tenant's list by the script */

    ngx_csq_foreign_origin(r, &origin);

    if (ngx_csq_fcall_head(r->pool, tenant, &argv[0], &argv[1]) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    argv[2] = tk->agent;
    argv[3].data = (u_char *) ngx_csq_role_name(tk->role);
    argv[3].len = ngx_strlen(argv[3].data);
    argv[4] = open->conversation;

    ngx_str_null(&argv[5]);
    ngx_str_null(&argv[6]);
    argv[7] = origin;

    return ngx_csq_call(r, NGX_CSQ_FN_WS_OPEN, 1, argv, 8,
                        ngx_csq_chat_opened);
}


/* a query argument: an id (A-Z a-z 0-9 _ - .) or a log id; absent is "" */

static ngx_int_t
ngx_csq_chat_arg(ngx_http_request_t *r, char *name, ngx_str_t *value,
    ngx_uint_t id)
{
    uint64_t  ms, seq;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), value)
        != NGX_OK)
    {
        ngx_str_null(value);
        return id ? NGX_ERROR : NGX_OK;
    }

    if (!id) {
        return (value->len == 0
                || ngx_csq_chat_parse_id(value->data, value->len, &ms, &seq)
                   == NGX_OK) ? NGX_OK : NGX_ERROR;
    }

    return ngx_csq_valid_id(value) == NGX_OK ? NGX_OK : NGX_ERROR;
}


/* "<ms>-<seq>", a Redis stream id */

static ngx_int_t
ngx_csq_chat_parse_id(u_char *p, size_t len, uint64_t *ms, uint64_t *seq)
{
    u_char    *last, *dash;
    uint64_t   v;
    ngx_uint_t n;

    last = p + len;
    dash = ngx_strlchr(p, last, '-');

    if (dash == NULL || dash == p || dash + 1 == last || len > 41) {
        return NGX_ERROR;
    }

    for (n = 0; n < 2; n++) {
        v = 0;

        for ( /* void */ ; p < (n ? last : dash); p++) {
            if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10) {
                return NGX_ERROR;
            }

            v = v * 10 + (*p - '0');
        }

        if (n == 0) {
            *ms = v;
            p = dash + 1;

        } else {
            *seq = v;
        }
    }

    return NGX_OK;
}


/* ws_open answered: refuse with its error, or become a socket */

static ngx_int_t
ngx_csq_chat_opened(ngx_http_request_t *r, void *data)
{
    redisReply  *reply = data;

    u_char                *p;
    size_t                 len;
    ngx_int_t              status;
    ngx_str_t              json, name;
    ngx_uint_t             i, n;
    ngx_csq_ws_t          *ws;
    ngx_csq_sub_t         *sub;
    ngx_csq_ctx_t         *ctx;
    ngx_csq_chat_t        *chat;
    ngx_csq_cursor_t      *cur;
    ngx_connection_t      *c;
    ngx_csq_loc_conf_t    *clcf;
    ngx_csq_chat_open_t   *open;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    open = ctx->data;
    c = r->connection;
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_csq_module);

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2
        || reply->element[0]->type != REDIS_REPLY_INTEGER
        || reply->element[1]->type != REDIS_REPLY_STRING)
    {
        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "csq: redis: unexpected reply to ws_open");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    status = (ngx_int_t) reply->element[0]->integer;

    if (status != NGX_HTTP_OK) {
        json.len = reply->element[1]->len;
        json.data = ngx_pstrdup(r->pool, &(ngx_str_t) {
                                    json.len,
                                    (u_char *) reply->element[1]->str });
        if (json.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "csq: socket refused: %i %V", status, &json);

        return ngx_csq_json_send_text(r, status, &json);
    }

    n = reply->elements - 2;

    /* everything the socket keeps lives in the connection's pool */

    len = sizeof("csq:{}:tenant") - 1 + open->tenant.len
          + open->token->agent.len
          + ngx_cycle->hostname.len + NGX_INT64_LEN * 2 + 2;

    chat = ngx_pcalloc(c->pool, sizeof(ngx_csq_chat_t)
                                + n * sizeof(ngx_csq_sub_t));
    p = ngx_pnalloc(c->pool, len);

    if (chat == NULL || p == NULL
        || ngx_array_init(&chat->cursors, c->pool, 1,
                          sizeof(ngx_csq_cursor_t))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    chat->conf = clcf;
    chat->role = open->token->role;
    chat->subs = (ngx_csq_sub_t *) (chat + 1);
    chat->nsubs = n;
    ngx_queue_init(&chat->calls);

    chat->key.data = p;
    chat->key.len = ngx_sprintf(p, "csq:{%V}:tenant", &open->tenant) - p;
    p += chat->key.len;

    chat->actor.data = p;
    chat->actor.len = open->token->agent.len;
    p = ngx_cpymem(p, open->token->agent.data, open->token->agent.len);

    /* unique among the sockets of every node: host, pid, connection */

    chat->sock.data = p;
    chat->sock.len = ngx_sprintf(p, "%V:%P:%uA", &ngx_cycle->hostname,
                                 ngx_pid, c->number)
                     - p;

    if (open->conversation.len) {
        cur = ngx_csq_chat_cursor(chat, open->conversation.data,
                                  open->conversation.len, 1);
        if (cur == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (open->after.len) {
            (void) ngx_csq_chat_parse_id(open->after.data, open->after.len,
                                         &cur->ms, &cur->seq);
        }
    }

    ws = ngx_csq_ws_accept(r, &clcf->ws);

    /* the request is gone from here on */

    if (ws == NULL) {
        return NGX_CSQ_GONE;
    }

    chat->ws = ws;
    ws->data = chat;
    ws->on_message = ngx_csq_chat_message;
    ws->on_ping = ngx_csq_chat_ping;
    ws->on_close = ngx_csq_chat_close;

    chat->nsubs = 0;

    for (i = 0; i < n; i++) {
        if (reply->element[i + 2]->type != REDIS_REPLY_STRING) {
            continue;
        }

        name.data = (u_char *) reply->element[i + 2]->str;
        name.len = reply->element[i + 2]->len;

        sub = &chat->subs[chat->nsubs++];
        sub->data = chat;
        sub->on_message = ngx_csq_chat_live;
        sub->on_ready = ngx_csq_chat_ready;

        if (ngx_csq_sub_add(sub, &name) != NGX_OK) {
            ngx_csq_ws_close(ws, NGX_CSQ_WS_OVERLOAD, "try again later");
            break;
        }
    }

    ngx_csq_ws_start(ws);

    return NGX_CSQ_GONE;
}


static ngx_csq_cursor_t *
ngx_csq_chat_cursor(ngx_csq_chat_t *chat, u_char *conversation, size_t len,
    ngx_uint_t create)
{
    ngx_uint_t         i;
    ngx_csq_cursor_t  *cur;

    cur = chat->cursors.elts;

    for (i = 0; i < chat->cursors.nelts; i++) {
        if (cur[i].conversation.len == len
            && ngx_strncmp(cur[i].conversation.data, conversation, len) == 0)
        {
            return &cur[i];
        }
    }

    if (!create || len > NGX_CSQ_ID_MAX
        || chat->cursors.nelts >= NGX_CSQ_CHAT_CURSORS_MAX)
    {
        return NULL;
    }

    cur = ngx_array_push(&chat->cursors);
    if (cur == NULL) {
        return NULL;
    }

    ngx_memzero(cur, sizeof(ngx_csq_cursor_t));

    cur->conversation.data = ngx_pnalloc(chat->cursors.pool, len);
    if (cur->conversation.data == NULL) {
        chat->cursors.nelts--;
        return NULL;
    }

    ngx_memcpy(cur->conversation.data, conversation, len);
    cur->conversation.len = len;

    return cur;
}


/*
 * A channel is subscribed.  At first: once all are, the hello.  Later
 * (Redis came back): a fresh hello, and every conversation catches up.
 */

static void
ngx_csq_chat_ready(ngx_csq_sub_t *sub)
{
    ngx_csq_chat_t  *chat = sub->data;

    if (chat->closed) {
        return;
    }

    if (!chat->hello_sent) {
        if (++chat->nready >= chat->nsubs) {
            ngx_csq_chat_hello(chat);
        }

        return;
    }

    if (chat->hello_pending) {
        chat->again = 1;       /* it may have read before the resubscribe */
        return;
    }

    /* the hello's answer has the conversations catch up */

    chat->resync = 1;
    ngx_csq_chat_hello(chat);
}


static void
ngx_csq_chat_hello(ngx_csq_chat_t *chat)
{
    u_char             *p;
    ngx_str_t           body, id;
    ngx_csq_cursor_t   *cur;
    u_char              buf[256];

    chat->hello_sent = 1;
    chat->hello_pending = 1;

    ngx_str_null(&id);
    cur = NULL;

    p = ngx_sprintf(buf, "{\"sock\":\"%V\",\"lease\":%M,\"limit\":"
                    NGX_CSQ_CHAT_HISTORY,
                    &chat->sock, chat->conf->ws.ping * 3);

    if (chat->role == NGX_CSQ_ROLE_CUSTOMER) {
        cur = chat->cursors.elts;
        id = cur->conversation;
        cur->syncing = 1;
        cur->dirty = 0;

        if (cur->ms || cur->seq) {
            p = ngx_sprintf(p, ",\"after\":\"%uL-%uL\"", cur->ms, cur->seq);
        }
    }

    *p++ = '}';

    body.data = buf;
    body.len = p - buf;

    if (ngx_csq_chat_call(chat, NGX_CSQ_FN_WS_HELLO, &id, &body, NULL,
                          NGX_CSQ_CALL_HELLO, 0, NULL)
        != NGX_OK)
    {
        ngx_csq_ws_close(chat->ws, NGX_CSQ_WS_OVERLOAD, "try again later");
    }
}


/* the socket's own catch-up of conversation i from its cursor */

static void
ngx_csq_chat_sync(ngx_csq_chat_t *chat, ngx_uint_t i)
{
    u_char            *p;
    ngx_str_t          body;
    ngx_csq_cursor_t  *cur;
    u_char             buf[128];

    cur = (ngx_csq_cursor_t *) chat->cursors.elts + i;

    if (cur->syncing) {
        cur->dirty = 1;
        return;
    }

    cur->syncing = 1;
    cur->dirty = 0;

    p = ngx_sprintf(buf, "{\"after\":\"%uL-%uL\",\"limit\":"
                    NGX_CSQ_CHAT_HISTORY "}", cur->ms, cur->seq);

    body.data = buf;
    body.len = p - buf;

    if (ngx_csq_chat_call(chat, NGX_CSQ_FN_WS_SYNC, &cur->conversation,
                          &body, NULL, NGX_CSQ_CALL_SYNC, i, NULL)
        != NGX_OK)
    {
        ngx_csq_ws_close(chat->ws, NGX_CSQ_WS_OVERLOAD, "try again later");
    }
}


/*
 * A channel message: "E\n<frame>" passes straight on; "L <conversation>
 * <id>\n<frame>" is a log entry, sent unless already sent or while the
 * conversation is being read back (then it is read back again after).
 */

static void
ngx_csq_chat_live(ngx_csq_sub_t *sub, u_char *data, size_t len)
{
    u_char            *p, *last, *conv, *id, *nl;
    uint64_t           ms, seq;
    ngx_csq_chat_t    *chat = sub->data;
    ngx_csq_cursor_t  *cur;

    if (chat->closed || len < 2) {
        return;
    }

    last = data + len;

    if (data[0] == 'E' && data[1] == '\n') {
        if (chat->started) {
            (void) ngx_csq_ws_send(chat->ws, data + 2, len - 2);
        }

        return;
    }

    if (data[0] != 'L' || data[1] != ' ') {
        return;
    }

    nl = ngx_strlchr(data, last, '\n');
    conv = data + 2;
    id = nl ? ngx_strlchr(conv, nl, ' ') : NULL;

    if (id == NULL
        || ngx_csq_chat_parse_id(id + 1, nl - id - 1, &ms, &seq) != NGX_OK)
    {
        return;
    }

    p = nl + 1;

    cur = ngx_csq_chat_cursor(chat, conv, id - conv,
                              chat->started && !chat->hello_pending
                              && sub->ready.next == NULL
                              && chat->role != NGX_CSQ_ROLE_CUSTOMER);
    if (cur == NULL) {
        return;     /* before the hello, or not this socket's */
    }

    /*
     * before the hello, while one is under way, or before this channel's
     * (re)subscription is acted on, the log is read back from the cursor
     * afterwards: sending now would move the cursor past a gap
     */

    if (!chat->started || chat->hello_pending || sub->ready.next
        || cur->syncing)
    {
        cur->dirty = 1;
        return;
    }

    if (ms < cur->ms || (ms == cur->ms && seq <= cur->seq)) {
        return;
    }

    if (ngx_csq_ws_send(chat->ws, p, last - p) == NGX_OK) {
        cur->ms = ms;
        cur->seq = seq;
    }
}


/* a frame from the client */

static void
ngx_csq_chat_message(ngx_csq_ws_t *ws, u_char *data, size_t len)
{
    ngx_buf_t          b;
    ngx_str_t          err, type, conv, ref, text, *id;
    ngx_uint_t         i, script, kind, customer;
    ngx_pool_t        *pool;
    ngx_chain_t        in;
    ngx_csq_chat_t    *chat = ws->data;
    ngx_csq_json_t    *root, *v;
    ngx_csq_cursor_t  *cur;

    if (chat->closed) {
        return;
    }

    pool = ngx_create_pool(1024, ws->connection->log);
    if (pool == NULL) {
        ngx_csq_ws_close(ws, NGX_CSQ_WS_OVERLOAD, "try again later");
        return;
    }

    ngx_memzero(&b, sizeof(ngx_buf_t));
    b.pos = data;
    b.last = data + len;
    b.memory = 1;
    b.last_buf = 1;
    in.buf = &b;
    in.next = NULL;

    ngx_str_null(&ref);
    customer = (chat->role == NGX_CSQ_ROLE_CUSTOMER);

    if (ngx_csq_json_parse(pool, &in, &root, &err) != NGX_OK
        || root->type != NGX_CSQ_JSON_OBJECT)
    {
        ngx_csq_chat_error(chat, NULL, "invalid_json",
                           "a frame must be a JSON object");
        goto done;
    }

    v = ngx_csq_json_get(root, "ref");

    if (v) {
        if (v->type != NGX_CSQ_JSON_STRING || v->value.len == 0
            || v->value.len > NGX_CSQ_CHAT_REF_MAX)
        {
            ngx_csq_chat_error(chat, NULL, "invalid_field",
                               "\"ref\" must be a string of 1 to 64 bytes");
            goto done;
        }

        for (i = 0; i < v->value.len; i++) {
            if (v->value.data[i] < 0x20 || v->value.data[i] == '"'
                || v->value.data[i] == '\\' || v->value.data[i] > 0x7e)
            {
                ngx_csq_chat_error(chat, NULL, "invalid_field",
                                   "\"ref\" must be printable ASCII");
                goto done;
            }
        }

        ref = v->value;
    }

    v = ngx_csq_json_get(root, "type");

    if (v == NULL || v->type != NGX_CSQ_JSON_STRING) {
        ngx_csq_chat_error(chat, &ref, "invalid_field",
                           "\"type\" is required");
        goto done;
    }

    type = v->value;

    /* a customer's socket is about its one conversation */

    v = ngx_csq_json_get(root, "conversation");

    if (customer) {
        cur = chat->cursors.elts;
        conv = cur->conversation;

        if (v && (v->type != NGX_CSQ_JSON_STRING
                  || v->value.len != conv.len
                  || ngx_strncmp(v->value.data, conv.data, conv.len) != 0))
        {
            ngx_csq_chat_error(chat, &ref, "forbidden",
                               "not your conversation");
            goto done;
        }

    } else if (v && v->type == NGX_CSQ_JSON_STRING && v->value.len
               && v->value.len <= NGX_CSQ_ID_MAX)
    {
        conv = v->value;

    } else {
        ngx_str_null(&conv);
    }

    text.data = data;
    text.len = len;
    id = &conv;
    kind = NGX_CSQ_CALL_ASK;

    if (type.len == 7 && ngx_strncmp(type.data, "message", 7) == 0) {
        script = NGX_CSQ_FN_WS_SEND;

    } else if ((type.len == 6 && ngx_strncmp(type.data, "typing", 6) == 0)
               || (type.len == 4 && ngx_strncmp(type.data, "read", 4) == 0))
    {
        script = NGX_CSQ_FN_WS_SIGNAL;

        if (ref.len == 0) {
            kind = NGX_CSQ_CALL_QUIET;
        }

    } else if (type.len == 4 && ngx_strncmp(type.data, "sync", 4) == 0) {
        script = NGX_CSQ_FN_WS_SYNC;
        kind = NGX_CSQ_CALL_HISTORY;

    } else if (!customer && type.len == 6
               && ngx_strncmp(type.data, "status", 6) == 0)
    {
        script = NGX_CSQ_FN_AGENT_STATUS;
        id = &chat->actor;

    } else if (type.len == 4 && ngx_strncmp(type.data, "ping", 4) == 0) {
        (void) ngx_csq_ws_send(ws, (u_char *) "{\"type\":\"pong\"}",
                               sizeof("{\"type\":\"pong\"}") - 1);
        goto done;

    } else {
        ngx_csq_chat_error(chat, &ref, "invalid_field",
                           "\"type\" must be message, typing, read, sync, "
                           "status or ping");
        goto done;
    }

    if (id->len == 0) {
        ngx_csq_chat_error(chat, &ref, "invalid_field",
                           "\"conversation\" is required");
        goto done;
    }

    i = 0;

    if (kind == NGX_CSQ_CALL_HISTORY) {
        cur = ngx_csq_chat_cursor(chat, conv.data, conv.len, 1);
        if (cur == NULL) {
            ngx_csq_chat_error(chat, &ref, "internal", "out of memory");
            goto done;
        }

        /* live entries wait until the client has what it asked for */

        cur->syncing = 1;
        i = cur - (ngx_csq_cursor_t *) chat->cursors.elts;
    }

    if (ngx_csq_chat_call(chat, script, id, &text, NULL, kind, i, &ref)
        != NGX_OK)
    {
        if (kind == NGX_CSQ_CALL_HISTORY) {
            cur = (ngx_csq_cursor_t *) chat->cursors.elts + i;
            cur->syncing = 0;
        }

        ngx_csq_chat_error(chat, &ref, "redis_unavailable",
                           "Redis cannot be reached");
    }

done:

    ngx_destroy_pool(pool);
}


/* an agent socket's lease is renewed each keepalive interval */

static void
ngx_csq_chat_ping(ngx_csq_ws_t *ws)
{
    u_char          *p;
    ngx_str_t        body, none, op;
    ngx_csq_chat_t  *chat = ws->data;
    u_char           buf[256];

    if (chat->role == NGX_CSQ_ROLE_CUSTOMER || !chat->started) {
        return;
    }

    ngx_str_set(&op, "renew");

    p = ngx_sprintf(buf, "{\"sock\":\"%V\",\"lease\":%M}", &chat->sock,
                    chat->conf->ws.ping * 3);
    body.data = buf;
    body.len = p - buf;
    ngx_str_null(&none);

    (void) ngx_csq_chat_call(chat, NGX_CSQ_FN_WS_PRESENCE, &none, &body,
                             &op, 0, 0, NULL);
}


/* the socket is gone: stop listening, drop calls, tell presence */

static void
ngx_csq_chat_close(ngx_csq_ws_t *ws)
{
    u_char               *p;
    ngx_str_t             body, id, op;
    ngx_uint_t            i;
    ngx_queue_t          *q;
    ngx_csq_chat_t       *chat = ws->data;
    ngx_csq_cursor_t     *cur;
    ngx_csq_chat_call_t  *call;
    u_char                buf[256];

    chat->closed = 1;

    for (i = 0; i < chat->nsubs; i++) {
        ngx_csq_sub_del(&chat->subs[i]);
    }

    while (!ngx_queue_empty(&chat->calls)) {
        q = ngx_queue_head(&chat->calls);
        ngx_queue_remove(q);

        call = ngx_queue_data(q, ngx_csq_chat_call_t, queue);
        ngx_csq_redis_cancel(call->cmd);
        ngx_free(call);
    }

    chat->ncalls = 0;

    if (!chat->started) {
        return;     /* it never counted as present */
    }

    ngx_str_null(&id);

    if (chat->role == NGX_CSQ_ROLE_CUSTOMER) {
        cur = chat->cursors.elts;
        id = cur->conversation;
    }

    p = ngx_sprintf(buf, "{\"sock\":\"%V\",\"grace\":%M}", &chat->sock,
                    chat->conf->presence_grace);
    body.data = buf;
    body.len = p - buf;

    ngx_str_set(&op, "close");

    (void) ngx_csq_chat_call(chat, NGX_CSQ_FN_WS_PRESENCE, &id, &body,
                             &op, 0, 0, NULL);
}


/*
 * Runs a script for the socket with the API's arguments: tenant key; now,
 * actor, role, id, body, extra.  kind 0: nobody waits for the reply.
 */

static ngx_int_t
ngx_csq_chat_call(ngx_csq_chat_t *chat, ngx_uint_t script, ngx_str_t *id,
    ngx_str_t *body, ngx_str_t *extra, ngx_uint_t kind, ngx_uint_t cursor,
    ngx_str_t *ref)
{
    ngx_str_t             argv[7];
    ngx_time_t           *tp;
    ngx_csq_chat_call_t  *call;
    u_char                now[NGX_INT64_LEN + 3];

    tp = ngx_timeofday();

    argv[0] = chat->key;
    argv[1].data = now;
    argv[1].len = ngx_sprintf(now, "%T%03M", tp->sec, tp->msec) - now;
    argv[2] = chat->actor;
    argv[3].data = (u_char *) ngx_csq_role_name(chat->role);
    argv[3].len = ngx_strlen(argv[3].data);
    argv[4] = *id;
    argv[5] = *body;

    if (extra) {
        argv[6] = *extra;

    } else {
        ngx_str_null(&argv[6]);
    }

    if (kind == 0) {
        return ngx_csq_redis_fcall(script, 1, argv, 7, ngx_csq_chat_ignore,
                                    NULL)
               ? NGX_OK : NGX_ERROR;
    }

    call = ngx_alloc(sizeof(ngx_csq_chat_call_t), chat->ws->connection->log);
    if (call == NULL) {
        return NGX_ERROR;
    }

    call->chat = chat;
    call->kind = kind;
    call->cursor = cursor;
    call->ref_len = 0;

    if (ref && ref->len) {
        call->ref_len = ngx_min(ref->len, NGX_CSQ_CHAT_REF_MAX);
        ngx_memcpy(call->ref, ref->data, call->ref_len);
    }

    call->cmd = ngx_csq_redis_fcall(script, 1, argv, 7, ngx_csq_chat_reply,
                                     call);
    if (call->cmd == NULL) {
        ngx_free(call);
        return NGX_ERROR;
    }

    ngx_queue_insert_tail(&chat->calls, &call->queue);

    /* a client that asks faster than Redis answers is read no more */

    if (++chat->ncalls >= NGX_CSQ_CHAT_CALLS_MAX) {
        chat->ws->paused = 1;
    }

    return NGX_OK;
}


static void
ngx_csq_chat_reply(void *data, ngx_int_t rc, redisReply *reply)
{
    ngx_csq_chat_call_t  *call = data;

    u_char            *json;
    size_t             len;
    ngx_int_t          status;
    ngx_str_t          ref;
    ngx_uint_t         i;
    ngx_csq_chat_t    *chat;
    ngx_csq_cursor_t  *cur;

    chat = call->chat;

    ngx_queue_remove(&call->queue);
    chat->ncalls--;

    ref.data = call->ref;
    ref.len = call->ref_len;

    if (rc != NGX_CSQ_REDIS_OK || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 2
        || reply->element[0]->type != REDIS_REPLY_INTEGER
        || reply->element[1]->type != REDIS_REPLY_STRING)
    {
        if (rc == NGX_CSQ_REDIS_OK && reply->type == REDIS_REPLY_ERROR) {
            ngx_log_error(NGX_LOG_ERR, chat->ws->connection->log, 0,
                          "csq: redis: script failed: %s", reply->str);
        }

        if (call->kind == NGX_CSQ_CALL_ASK
            || call->kind == NGX_CSQ_CALL_QUIET)
        {
            ngx_csq_chat_error(chat, &ref, rc == NGX_CSQ_REDIS_TIMEOUT
                                           ? "redis_timeout" : "redis_error",
                               "the message was not taken, send it again");

        } else {
            /* the client reconnects and resumes from what it has */
            ngx_csq_ws_close(chat->ws, NGX_CSQ_WS_OVERLOAD,
                             "try again later");
        }

        goto done;
    }

    status = (ngx_int_t) reply->element[0]->integer;
    json = (u_char *) reply->element[1]->str;
    len = reply->element[1]->len;

    switch (call->kind) {

    case NGX_CSQ_CALL_HELLO:

        chat->hello_pending = 0;

        if (status != NGX_HTTP_OK) {
            ngx_csq_ws_close(chat->ws, NGX_CSQ_WS_POLICY, "gone");
            break;
        }

        (void) ngx_csq_ws_send(chat->ws, json, len);
        chat->started = 1;

        if (chat->role == NGX_CSQ_ROLE_CUSTOMER) {
            ngx_csq_chat_frames(chat, 0, reply, 0);
        }

        if (chat->resync) {
            chat->resync = 0;

            if (chat->role != NGX_CSQ_ROLE_CUSTOMER) {
                for (i = 0; i < chat->cursors.nelts; i++) {
                    ngx_csq_chat_sync(chat, i);
                }
            }
        }

        if (chat->again) {
            chat->again = 0;
            chat->resync = 1;
            ngx_csq_chat_hello(chat);
        }

        break;

    case NGX_CSQ_CALL_SYNC:
        if (status == NGX_HTTP_OK) {
            ngx_csq_chat_frames(chat, call->cursor, reply, 0);

        } else {
            cur = (ngx_csq_cursor_t *) chat->cursors.elts + call->cursor;
            cur->syncing = 0;
        }

        break;

    case NGX_CSQ_CALL_HISTORY:
        if (status != NGX_HTTP_OK) {
            cur = (ngx_csq_cursor_t *) chat->cursors.elts + call->cursor;
            cur->syncing = 0;
            ngx_csq_chat_answer(chat, call, 0, json, len);
            break;
        }

        ngx_csq_chat_frames(chat, call->cursor, reply, 1);
        ngx_csq_chat_answer(chat, call, 1, json, len);
        break;

    default: /* ASK, QUIET */
        if (status != NGX_HTTP_OK || call->kind == NGX_CSQ_CALL_ASK) {
            ngx_csq_chat_answer(chat, call, status == NGX_HTTP_OK,
                                json, len);
        }
    }

done:

    ngx_free(call);

    if (chat->ws->paused && chat->ncalls <= NGX_CSQ_CHAT_CALLS_LOW
        && !chat->closed)
    {
        ngx_csq_ws_resume(chat->ws);
    }
}


/*
 * Log entries read back (id, frame, id, frame ... from element 2): sent
 * in order, skipping what the cursor has passed unless the client asked
 * (all); then whatever arrived live meanwhile is read back in turn.
 */

static void
ngx_csq_chat_frames(ngx_csq_chat_t *chat, ngx_uint_t i, redisReply *reply,
    ngx_uint_t all)
{
    uint64_t           ms, seq;
    ngx_uint_t         k, more;
    redisReply        *id, *frame;
    ngx_csq_cursor_t  *cur;

    cur = (ngx_csq_cursor_t *) chat->cursors.elts + i;

    for (k = 2; k + 1 < reply->elements; k += 2) {
        id = reply->element[k];
        frame = reply->element[k + 1];

        if (id->type != REDIS_REPLY_STRING
            || frame->type != REDIS_REPLY_STRING
            || ngx_csq_chat_parse_id((u_char *) id->str, id->len, &ms, &seq)
               != NGX_OK)
        {
            continue;
        }

        if (!all && (ms < cur->ms || (ms == cur->ms && seq <= cur->seq))) {
            continue;
        }

        if (ngx_csq_ws_send(chat->ws, (u_char *) frame->str, frame->len)
            != NGX_OK)
        {
            return;
        }

        if (ms > cur->ms || (ms == cur->ms && seq > cur->seq)) {
            cur->ms = ms;
            cur->seq = seq;
        }
    }

    cur->syncing = 0;

    more = reply->element[1]->len > 10
           && ngx_strlcasestrn((u_char *) reply->element[1]->str,
                               (u_char *) reply->element[1]->str
                               + reply->element[1]->len,
                               (u_char *) "\"more\":true", 11 - 1)
              != NULL;

    if (cur->dirty || (more && !all)) {
        ngx_csq_chat_sync(chat, i);
    }
}


/* ack: {"type":"ack","ref":...,<the script's fields>}; or the error */

static void
ngx_csq_chat_answer(ngx_csq_chat_t *chat, ngx_csq_chat_call_t *call,
    ngx_uint_t ok, u_char *json, size_t len)
{
    u_char  *p, *frame;
    size_t   size;

    size = sizeof("{\"type\":\"error\",\"ref\":\"\",") + call->ref_len + len;

    frame = ngx_alloc(size, chat->ws->connection->log);
    if (frame == NULL) {
        return;
    }

    p = ngx_sprintf(frame, "{\"type\":\"%s\"", ok ? "ack" : "error");

    if (call->ref_len) {
        p = ngx_sprintf(p, ",\"ref\":\"%*s\"", call->ref_len, call->ref);
    }

    /* the script's object without its opening brace */

    if (len >= 2 && json[0] == '{') {
        if (len > 2) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, json + 1, len - 1);

    } else {
        *p++ = '}';
    }

    (void) ngx_csq_ws_send(chat->ws, frame, p - frame);

    ngx_free(frame);
}


static void
ngx_csq_chat_error(ngx_csq_chat_t *chat, ngx_str_t *ref, char *code,
    char *message)
{
    u_char  *p;
    size_t   len;
    u_char   buf[512];

    len = ngx_strlen(message);

    p = ngx_sprintf(buf, "{\"type\":\"error\"");

    if (ref && ref->len) {
        p = ngx_sprintf(p, ",\"ref\":\"%V\"", ref);
    }

    p = ngx_sprintf(p, ",\"error\":{\"code\":\"%s\",\"message\":\"", code);

    if (len + ngx_escape_json(NULL, (u_char *) message, len)
        < (size_t) (buf + sizeof(buf) - p) - 3)
    {
        p = (u_char *) ngx_escape_json(p, (u_char *) message, len);
    }

    p = ngx_cpymem(p, "\"}}", 3);

    (void) ngx_csq_ws_send(chat->ws, buf, p - buf);
}


static void
ngx_csq_chat_ignore(void *data, ngx_int_t rc, redisReply *reply)
{
    if (rc == NGX_CSQ_REDIS_OK && reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "csq: redis: presence script failed: %s", reply->str);
    }
}
