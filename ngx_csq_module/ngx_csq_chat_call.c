
/*
 * Copyright (C) ngx_csq_module authors
 *
 * A socket's calls of the Redis library: each call in flight is owned by
 * the socket (dropped when it closes), a client that asks faster than
 * Redis answers is read no more until the calls drain, and every reply is
 * checked for its shape before its handler sees it.  A call made for a
 * client frame hands the frame's ref to the function, whose reply then is
 * the ack or error frame itself: this file only sends it on.  The errors
 * that arise here (Redis down or slow) are the only frames C writes.
 */


#include "ngx_csq_chat_call.h"
#include "ngx_csq_auth.h"


static void ngx_csq_chat_reply(void *data, ngx_int_t rc, redisReply *reply);
static void ngx_csq_chat_ignore(void *data, ngx_int_t rc,
    redisReply *reply);


ngx_int_t
ngx_csq_chat_call(ngx_csq_chat_t *chat, ngx_uint_t fn, ngx_str_t *id,
    ngx_str_t *body, ngx_str_t *extra, ngx_str_t *ref,
    ngx_csq_chat_reply_pt handler, ngx_uint_t fatal, ngx_uint_t cursor)
{
    ngx_str_t             argv[11];
    ngx_uint_t            argc;
    ngx_time_t           *tp;
    ngx_csq_chat_call_t  *call;
    u_char                now[NGX_INT64_LEN + 3];

    tp = ngx_timeofday();

    argv[0] = chat->key;
    argv[1].data = now;
    argv[1].len = ngx_sprintf(now, "%T%03M", tp->sec, tp->msec) - now;
    argv[2] = chat->actor;
    argv[3] = chat->role_arg;
    argv[4] = *id;
    argv[5] = *body;

    if (extra) {
        argv[6] = *extra;

    } else {
        ngx_str_null(&argv[6]);
    }

    argc = 7;

    if (ref) {
        /* ARGV[7] and [8], the page's origin, were checked at the open */
        ngx_str_null(&argv[7]);
        ngx_str_null(&argv[8]);
        argv[9] = *ref;
        argv[10] = chat->limits;
        argc = 11;
    }

    if (handler == NULL && ref == NULL) {
        return ngx_csq_redis_fcall(fn, 1, argv, argc, ngx_csq_chat_ignore,
                                   NULL)
               ? NGX_OK : NGX_ERROR;
    }

    call = ngx_alloc(sizeof(ngx_csq_chat_call_t), chat->ws->connection->log);
    if (call == NULL) {
        return NGX_ERROR;
    }

    call->chat = chat;
    call->handler = handler;
    call->cursor = cursor;
    call->client = (ref != NULL);
    call->fatal = fatal;
    call->ref_len = 0;

    if (ref && ref->len) {
        call->ref_len = ngx_min(ref->len, NGX_CSQ_CHAT_REF_MAX);
        ngx_memcpy(call->ref, ref->data, call->ref_len);
    }

    call->cmd = ngx_csq_redis_fcall(fn, 1, argv, argc, ngx_csq_chat_reply,
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

    ngx_str_t        ref;
    ngx_uint_t       full;
    ngx_csq_chat_t  *chat;

    chat = call->chat;

    ngx_queue_remove(&call->queue);
    chat->ncalls--;

    if (rc == NGX_CSQ_REDIS_OK && reply->type == REDIS_REPLY_ARRAY
        && reply->elements >= 2
        && reply->element[0]->type == REDIS_REPLY_INTEGER
        && reply->element[1]->type == REDIS_REPLY_STRING)
    {
        if (call->handler) {
            call->handler(call, (ngx_int_t) reply->element[0]->integer,
                          reply);
        }

        if (reply->element[0]->integer == NGX_HTTP_UNAUTHORIZED
            && chat->session.len)
        {
            /* R9.5: the agent's session ended (its error frame is out) */
            ngx_csq_ws_close(chat->ws, NGX_CSQ_WS_POLICY, "session ended");
        }

        goto done;
    }

    full = rc == NGX_CSQ_REDIS_OK && ngx_csq_redis_full(reply);

    if (full) {
        ngx_log_error(NGX_LOG_WARN, chat->ws->connection->log, 0,
                      "csq: redis is full (maxmemory): %s", reply->str);

    } else if (rc == NGX_CSQ_REDIS_OK && reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, chat->ws->connection->log, 0,
                      "csq: redis: function failed: %s", reply->str);
    }

    if (call->fatal) {
        /* the client reconnects and resumes from what it has */
        ngx_csq_ws_close(chat->ws, NGX_CSQ_WS_OVERLOAD, "try again later");

    } else if (call->client) {
        ref.data = call->ref;
        ref.len = call->ref_len;

        ngx_csq_chat_error(chat, &ref,
                           full ? "redis_full"
                           : rc == NGX_CSQ_REDIS_TIMEOUT ? "redis_timeout"
                           : rc == NGX_CSQ_REDIS_DOWN ? "redis_unavailable"
                           : "redis_error",
                           "the message was not taken, send it again");
    }

done:

    ngx_free(call);

    if (chat->ws->paused && chat->ncalls <= NGX_CSQ_CHAT_CALLS_LOW
        && !chat->closed)
    {
        ngx_csq_ws_resume(chat->ws);
    }
}


void
ngx_csq_chat_answer(ngx_csq_chat_call_t *call, ngx_int_t status,
    redisReply *reply)
{
    (void) ngx_csq_ws_send(call->chat->ws, (u_char *) reply->element[1]->str,
                           reply->element[1]->len);
}


void
ngx_csq_chat_complain(ngx_csq_chat_call_t *call, ngx_int_t status,
    redisReply *reply)
{
    if (status != NGX_HTTP_OK) {
        ngx_csq_chat_answer(call, status, reply);
    }
}


void
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


void
ngx_csq_chat_drop_calls(ngx_csq_chat_t *chat)
{
    ngx_queue_t          *q;
    ngx_csq_chat_call_t  *call;

    while (!ngx_queue_empty(&chat->calls)) {
        q = ngx_queue_head(&chat->calls);
        ngx_queue_remove(q);

        call = ngx_queue_data(q, ngx_csq_chat_call_t, queue);
        ngx_csq_redis_cancel(call->cmd);
        ngx_free(call);
    }

    chat->ncalls = 0;
}


static void
ngx_csq_chat_ignore(void *data, ngx_int_t rc, redisReply *reply)
{
    if (rc == NGX_CSQ_REDIS_OK && reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "csq: redis: presence function failed: %s",
                      reply->str);
    }
}
