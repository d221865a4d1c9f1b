
/*
 * Copyright (C) ngx_csq_module authors
 *
 * The client frames of a customer or agent socket (R5.1, R5.2): each
 * frame's type names, in one table, the library function that serves it,
 * who may send it and how it is answered (an ack or error frame made by
 * the function, an error only, or the log entries and then the ack).  The
 * keepalive renews the socket's presence lease, and a closed socket stops
 * listening, drops its calls and tells presence.
 */


#include "ngx_csq_chat.h"
#include "ngx_csq_chat_log.h"
#include "ngx_csq_json.h"
#include "ngx_csq_auth.h"


#define NGX_CSQ_CHAT_LIMITED_MAX  20    /* refusals in a row, then 1008 */


/* what a frame type passes beside the frame: the body and EXTRA */
typedef ngx_int_t (*ngx_csq_chat_args_pt)(ngx_csq_chat_t *chat,
    ngx_pool_t *pool, ngx_csq_json_t *root, ngx_str_t *body,
    ngx_str_t *extra);


/* a client frame's type */
typedef struct {
    ngx_str_t                  type;
    ngx_uint_t                 fn;
    ngx_csq_chat_args_pt       args;        /* NULL: the frame as body */
    ngx_csq_chat_reply_pt      answer;      /* with a ref */
    ngx_csq_chat_reply_pt      quiet;       /* without a ref */
    unsigned                   limited:1;   /* counts against the rate */
    unsigned                   agents:1;    /* not for customers */
    unsigned                   self:1;      /* about the agent itself */
    unsigned                   log:1;       /* reads the log: a cursor */
} ngx_csq_chat_frame_t;


static ngx_int_t ngx_csq_chat_ref(ngx_csq_chat_t *chat, ngx_csq_json_t *root,
    ngx_str_t *ref);
static ngx_int_t ngx_csq_chat_allow(ngx_csq_chat_t *chat);
static void ngx_csq_chat_presence(ngx_csq_chat_t *chat, char *what);
static void ngx_csq_chat_renewed(ngx_csq_chat_call_t *call,
    ngx_int_t status, redisReply *reply);
static ngx_int_t ngx_csq_chat_text_args(ngx_csq_chat_t *chat,
    ngx_pool_t *pool, ngx_csq_json_t *root, ngx_str_t *body,
    ngx_str_t *extra);
static ngx_int_t ngx_csq_chat_sync_args(ngx_csq_chat_t *chat,
    ngx_pool_t *pool, ngx_csq_json_t *root, ngx_str_t *body,
    ngx_str_t *extra);


static ngx_csq_chat_frame_t  ngx_csq_chat_frames[] = {

    { ngx_string("message"), NGX_CSQ_FN_WS_SEND, ngx_csq_chat_text_args,
      ngx_csq_chat_sent, ngx_csq_chat_sent, 1, 0, 0, 0 },

    { ngx_string("typing"), NGX_CSQ_FN_WS_SIGNAL, NULL,
      ngx_csq_chat_answer, ngx_csq_chat_complain, 1, 0, 0, 0 },

    { ngx_string("read"), NGX_CSQ_FN_WS_SIGNAL, NULL,
      ngx_csq_chat_answer, ngx_csq_chat_complain, 1, 0, 0, 0 },

    { ngx_string("sync"), NGX_CSQ_FN_WS_SYNC, ngx_csq_chat_sync_args,
      ngx_csq_chat_history, ngx_csq_chat_history, 0, 0, 0, 1 },

    { ngx_string("status"), NGX_CSQ_FN_AGENT_STATUS, NULL,
      ngx_csq_chat_answer, ngx_csq_chat_answer, 0, 1, 1, 0 },

    { ngx_null_string, 0, NULL, NULL, NULL, 0, 0, 0, 0 }
};


/* a frame from the client */

void
ngx_csq_chat_message(ngx_csq_ws_t *ws, u_char *data, size_t len)
{
    ngx_buf_t              b;
    ngx_str_t              err, conv, ref, text, extra, *id;
    ngx_uint_t             i, customer;
    ngx_pool_t            *pool;
    ngx_chain_t            in;
    ngx_csq_chat_t        *chat = ws->data;
    ngx_csq_json_t        *root, *v;
    ngx_csq_cursor_t      *cur;
    ngx_csq_chat_frame_t  *f;

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

    /*
     * a guard before Redis: the frame is a JSON object within the parser's
     * limits, with a type, a printable ref and a conversation of the
     * socket's; the function reads the frame again for its own fields
     */

    if (ngx_csq_json_parse(pool, &in, &root, &err) != NGX_OK
        || root->type != NGX_CSQ_JSON_OBJECT)
    {
        ngx_csq_chat_error(chat, NULL, "invalid_json",
                           "a frame must be a JSON object");
        goto done;
    }

    if (ngx_csq_chat_ref(chat, root, &ref) != NGX_OK) {
        goto done;
    }

    v = ngx_csq_json_get(root, "type");

    if (v == NULL || v->type != NGX_CSQ_JSON_STRING) {
        ngx_csq_chat_error(chat, &ref, "invalid_field",
                           "\"type\" is required");
        goto done;
    }

    if (v->value.len == 4 && ngx_strncmp(v->value.data, "ping", 4) == 0) {
        (void) ngx_csq_ws_send(ws, (u_char *) "{\"type\":\"pong\"}",
                               sizeof("{\"type\":\"pong\"}") - 1);
        goto done;
    }

    for (f = ngx_csq_chat_frames; f->type.len; f++) {
        if (f->type.len == v->value.len
            && ngx_strncmp(f->type.data, v->value.data, v->value.len) == 0
            && !(f->agents && customer))
        {
            break;
        }
    }

    if (f->type.len == 0) {
        ngx_csq_chat_error(chat, &ref, "invalid_field",
                           "\"type\" must be message, typing, read, sync, "
                           "status or ping");
        goto done;
    }

    /* what a person sends: at most csq_message_rate a second */

    if (f->limited && ngx_csq_chat_allow(chat) != NGX_OK) {
        ngx_csq_chat_error(chat, &ref, "rate_limited",
                           "too many messages: wait a moment");

        if (chat->limited >= NGX_CSQ_CHAT_LIMITED_MAX) {
            ngx_log_error(NGX_LOG_INFO, ws->connection->log, 0,
                          "csq: socket of \"%V\" keeps sending over its "
                          "rate, closing", &chat->actor);
            ngx_csq_ws_close(ws, NGX_CSQ_WS_POLICY, "rate limited");
        }

        goto done;
    }

    /*
     * R9.6: a worker whose deliveries fall behind takes no new message
     * until they catch up: a clear refusal instead of a queue that grows
     */

    if (f->fn == NGX_CSQ_FN_WS_SEND
        && ngx_csq_chat_behind(chat->conf->relay_lag_max))
    {
        ngx_csq_chat_error(chat, &ref, "overloaded",
                           "the help desk is busy: send again in a moment");
        goto done;
    }

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

    id = f->self ? &chat->actor : &conv;

    if (id->len == 0) {
        ngx_csq_chat_error(chat, &ref, "invalid_field",
                           "\"conversation\" is required");
        goto done;
    }

    /*
     * the call's cursor: the one it reads into, or the one a message's
     * ack may move (ngx_csq_chat_sent)
     */

    i = (ngx_uint_t) -1;

    if (f->answer == ngx_csq_chat_sent) {
        cur = ngx_csq_chat_cursor(chat, conv.data, conv.len, 0);
        if (cur) {
            i = cur - (ngx_csq_cursor_t *) chat->cursors.elts;
        }

    } else if (f->log) {
        cur = ngx_csq_chat_cursor(chat, conv.data, conv.len, 1);
        if (cur == NULL) {
            ngx_csq_chat_error(chat, &ref, "internal", "out of memory");
            goto done;
        }

        /* live entries wait until the client has what it asked for */

        cur->syncing = 1;
        i = cur - (ngx_csq_cursor_t *) chat->cursors.elts;
    }

    text.data = data;
    text.len = len;
    ngx_str_null(&extra);

    if (f->args && f->args(chat, pool, root, &text, &extra) != NGX_OK) {
        ngx_csq_chat_error(chat, &ref, "internal", "out of memory");
        goto done;
    }

    if (ngx_csq_chat_call(chat, f->fn, id, &text, &extra, &ref,
                          ref.len ? f->answer : f->quiet, f->log, i)
        != NGX_OK)
    {
        if (f->log) {
            cur = (ngx_csq_cursor_t *) chat->cursors.elts + i;
            cur->syncing = 0;
        }

        ngx_csq_chat_error(chat, &ref, "redis_unavailable",
                           "Redis cannot be reached");
    }

done:

    ngx_destroy_pool(pool);
}


/*
 * a message of kind text (the most frequent frame) passes its text alone,
 * as EXTRA with no body, so that the send function decodes nothing; any
 * other message passes the whole frame
 */

static ngx_int_t
ngx_csq_chat_text_args(ngx_csq_chat_t *chat, ngx_pool_t *pool,
    ngx_csq_json_t *root, ngx_str_t *body, ngx_str_t *extra)
{
    ngx_csq_json_t  *kind, *text;

    kind = ngx_csq_json_get(root, "kind");

    if (kind != NULL
        && (kind->type != NGX_CSQ_JSON_STRING || kind->value.len != 4
            || ngx_strncmp(kind->value.data, "text", 4) != 0))
    {
        return NGX_OK;
    }

    text = ngx_csq_json_get(root, "text");

    if (text == NULL || text->type != NGX_CSQ_JSON_STRING) {
        return NGX_OK;
    }

    ngx_str_null(body);
    *extra = text->value;

    return NGX_OK;
}


/*
 * a sync brings what half the room in the socket's send queue holds (its
 * ack says whether more is left): EXTRA, the bytes
 */

static ngx_int_t
ngx_csq_chat_sync_args(ngx_csq_chat_t *chat, ngx_pool_t *pool,
    ngx_csq_json_t *root, ngx_str_t *body, ngx_str_t *extra)
{
    extra->data = ngx_pnalloc(pool, NGX_SIZE_T_LEN);
    if (extra->data == NULL) {
        return NGX_ERROR;
    }

    extra->len = ngx_sprintf(extra->data, "%uz", ngx_csq_chat_budget(chat))
                 - extra->data;

    return NGX_OK;
}


/*
 * The socket's token bucket: csq_message_burst frames, refilled at
 * csq_message_rate a second (in thousandths of a frame); a trusted client
 * (csq_trusted, its limits empty) is not counted
 */

static ngx_int_t
ngx_csq_chat_allow(ngx_csq_chat_t *chat)
{
    ngx_msec_t   elapsed;
    ngx_uint_t   full, rate;

    if (chat->limits.len == 0) {
        return NGX_OK;
    }

    rate = chat->conf->message_rate;
    full = chat->conf->message_burst * 1000;
    elapsed = ngx_current_msec - chat->bucket_at;
    chat->bucket_at = ngx_current_msec;

    if (elapsed >= full / rate) {
        chat->bucket = full;

    } else {
        chat->bucket = ngx_min(full, chat->bucket + elapsed * rate);
    }

    if (chat->bucket < 1000) {
        chat->limited++;
        return NGX_DECLINED;
    }

    chat->bucket -= 1000;
    chat->limited = 0;

    return NGX_OK;
}


/* the frame's "ref", when given: 1-64 printable ASCII but " and \ */

static ngx_int_t
ngx_csq_chat_ref(ngx_csq_chat_t *chat, ngx_csq_json_t *root, ngx_str_t *ref)
{
    ngx_uint_t       i;
    ngx_csq_json_t  *v;

    v = ngx_csq_json_get(root, "ref");

    if (v == NULL) {
        return NGX_OK;
    }

    if (v->type != NGX_CSQ_JSON_STRING || v->value.len == 0
        || v->value.len > NGX_CSQ_CHAT_REF_MAX)
    {
        ngx_csq_chat_error(chat, NULL, "invalid_field",
                           "\"ref\" must be a string of 1 to 64 bytes");
        return NGX_ERROR;
    }

    for (i = 0; i < v->value.len; i++) {
        if (v->value.data[i] < 0x20 || v->value.data[i] == '"'
            || v->value.data[i] == '\\' || v->value.data[i] > 0x7e)
        {
            ngx_csq_chat_error(chat, NULL, "invalid_field",
                               "\"ref\" must be printable ASCII");
            return NGX_ERROR;
        }
    }

    *ref = v->value;

    return NGX_OK;
}


/* an agent socket's lease is renewed each keepalive interval */

void
ngx_csq_chat_ping(ngx_csq_ws_t *ws)
{
    ngx_csq_chat_t  *chat = ws->data;

    if (chat->started) {
        ngx_csq_chat_presence(chat, "renew");
    }
}


/* the socket is gone: stop listening, drop calls, tell presence */

void
ngx_csq_chat_close(ngx_csq_ws_t *ws)
{
    ngx_uint_t       i;
    ngx_csq_chat_t  *chat = ws->data;

    chat->closed = 1;

    for (i = 0; i < chat->nsubs; i++) {
        ngx_csq_sub_del(&chat->subs[i]);
    }

    ngx_csq_chat_drop_calls(chat);

    if (!chat->hello_sent) {
        return;     /* it never counted as present */
    }

    /*
     * a hello sent but unanswered may have counted the socket already:
     * it says it is gone (should this reach Redis first, the hello's
     * lease runs out by itself)
     */

    ngx_csq_chat_presence(chat, "close");
}


/*
 * The socket's presence (ws_presence.lua): "renew" its lease (three ping
 * intervals) or "close" it (the grace starts); a customer's is kept
 * under its conversation, an agent's under the agent
 */

static void
ngx_csq_chat_presence(ngx_csq_chat_t *chat, char *what)
{
    u_char            *p;
    ngx_str_t          body, id, op;
    ngx_csq_cursor_t  *cur;
    u_char             buf[256];

    op.data = (u_char *) what;
    op.len = ngx_strlen(what);

    p = ngx_sprintf(buf, "{\"sock\":\"%V\",\"lease\":%M,\"grace\":%M}",
                    &chat->sock, chat->conf->ws.ping * 3,
                    chat->conf->presence_grace);
    body.data = buf;
    body.len = p - buf;

    ngx_str_null(&id);

    if (chat->role == NGX_CSQ_ROLE_CUSTOMER) {
        cur = chat->cursors.elts;
        id = cur->conversation;
    }

    /*
     * a renewal's reply is waited for: an ended session's 401 closes the
     * socket (ngx_csq_chat_call.c); a closing socket's calls are gone
     */

    (void) ngx_csq_chat_call(chat, NGX_CSQ_FN_WS_PRESENCE, &id, &body,
                             &op, NULL,
                             chat->closed ? NULL : ngx_csq_chat_renewed,
                             0, 0);
}


static void
ngx_csq_chat_renewed(ngx_csq_chat_call_t *call, ngx_int_t status,
    redisReply *reply)
{
    /* nothing more to do */
}
