
/*
 * Copyright (C) ngx_csq_module authors
 *
 * Opening a customer or agent socket (R5.1, R1.3): the handshake is
 * checked, then Redis says (ws_open) whether the tenant is there, the
 * page's Origin allowed and the conversation the customer's, and which
 * channels the socket listens on; then the connection becomes a WebSocket
 * and subscribes them.  The only part of the socket code that sees the
 * HTTP request.
 */


#include "ngx_csq_chat_open.h"
#include "ngx_csq_chat.h"
#include "ngx_csq_chat_log.h"
#include "ngx_csq_http.h"
#include "ngx_csq_call.h"
#include "ngx_csq_json.h"
#include "ngx_csq_auth.h"


/* the handshake's state, in the request */
typedef struct {
    ngx_str_t                  tenant;
    ngx_csq_token_t           *token;
    ngx_str_t                  conversation;
    ngx_str_t                  after;
} ngx_csq_chat_open_t;


static ngx_int_t ngx_csq_chat_arg(ngx_http_request_t *r, char *name,
    ngx_str_t *value, ngx_uint_t id);
static ngx_int_t ngx_csq_chat_afters(ngx_http_request_t *r,
    ngx_str_t *value, ngx_csq_chat_t *chat);
static ngx_int_t ngx_csq_chat_opened(ngx_http_request_t *r, void *data);


ngx_int_t
ngx_csq_chat_handler(ngx_http_request_t *r, ngx_str_t *tenant,
    ngx_csq_token_t *tk, ngx_uint_t customer)
{
    char                 *why;
    ngx_int_t             rc;
    ngx_str_t             version;
    ngx_csq_fcall_t       call;
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

    if (customer
        ? ngx_csq_chat_arg(r, "after", &open->after, 0) != NGX_OK
        : ngx_csq_chat_afters(r, &open->after, NULL) != NGX_OK)
    {
        return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST, "invalid_field",
                                  customer
                                  ? "\"after\" must be a message id"
                                  : "\"after\" must be <conversation>:<id>"
                                    ",... (at most 1000)");
    }

    /* the page's Origin goes with it, for the tenant's list (R1.3) */

    ngx_memzero(&call, sizeof(ngx_csq_fcall_t));
    call.fn = NGX_CSQ_FN_WS_OPEN;
    call.tenant = *tenant;
    call.token = *tk;
    call.id = open->conversation;

    return ngx_csq_call(r, &call, ngx_csq_chat_opened);
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


/*
 * An agent's after=<conversation>:<id>,... (R5.1): where each of its
 * conversations resumes.  Without chat, it is read from the query (URL
 * escapes undone) into value and checked; with chat, value makes the
 * socket's cursors, read back from after its hello as a customer's is.
 */

static ngx_int_t
ngx_csq_chat_afters(ngx_http_request_t *r, ngx_str_t *value,
    ngx_csq_chat_t *chat)
{
    u_char            *p, *last, *end, *colon, *dst;
    uint64_t           ms, seq;
    ngx_str_t          raw, cid;
    ngx_uint_t         n;
    ngx_csq_cursor_t  *cur;

    if (chat == NULL) {
        if (ngx_http_arg(r, (u_char *) "after", 5, &raw) != NGX_OK
            || raw.len == 0)
        {
            ngx_str_null(value);
            return NGX_OK;
        }

        dst = ngx_pnalloc(r->pool, raw.len);
        if (dst == NULL) {
            return NGX_ERROR;
        }

        value->data = dst;
        p = raw.data;
        ngx_unescape_uri(&dst, &p, raw.len, 0);
        value->len = dst - value->data;
    }

    p = value->data;
    last = value->data + value->len;

    for (n = 0; p < last; n++) {
        end = ngx_strlchr(p, last, ',');
        if (end == NULL) {
            end = last;
        }

        colon = ngx_strlchr(p, end, ':');

        cid.data = p;
        cid.len = colon ? (size_t) (colon - p) : 0;

        if (n >= NGX_CSQ_CHAT_CURSORS_MAX || colon == NULL
            || ngx_csq_valid_id(&cid) != NGX_OK
            || ngx_csq_chat_parse_id(colon + 1, end - colon - 1, &ms, &seq)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (chat) {
            cur = ngx_csq_chat_cursor(chat, cid.data, cid.len, 1);
            if (cur == NULL) {
                return NGX_ERROR;
            }

            cur->ms = ms;
            cur->seq = seq;
            chat->resync = 1;       /* read back once the hello is out */
        }

        p = end + 1;
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

    if (ngx_csq_call_result(r, reply, &status, &json) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (status != NGX_HTTP_OK) {
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

    /* R9.5: the session each call names, and which "R" ends the socket */

    if (ngx_csq_token_role(c->pool, open->token, &chat->role_arg) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_strlen(ngx_csq_role_name(chat->role)) + 1;

    if (chat->role_arg.len > len) {
        chat->session.data = chat->role_arg.data + len;
        chat->session.len = chat->role_arg.len - len;
    }

    /* the limits of its messages (none for a trusted client) */

    chat->bucket = clcf->message_burst * 1000;
    chat->bucket_at = ngx_current_msec;

    if (!ngx_csq_trusted(c, clcf)) {
        chat->limits.data = ngx_pnalloc(c->pool, NGX_INT_T_LEN * 4 + 4);
        if (chat->limits.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        chat->limits.len = ngx_sprintf(chat->limits.data, "%ui %ui %ui %uz",
                                       clcf->message_rate,
                                       clcf->message_burst,
                                       clcf->max_messages,
                                       clcf->max_log_bytes)
                           - chat->limits.data;
    }

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

    } else if (open->after.len
               && ngx_csq_chat_afters(r, &open->after, chat) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
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
    ws->on_drain = ngx_csq_chat_drained;

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
