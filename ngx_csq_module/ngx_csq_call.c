
/*
 * Copyright (C) ngx_csq_module authors
 *
 * A request waiting on one call of a Redis library function: its arguments
 * by the library's calling convention, the request kept alive while the
 * call is in flight (a client that goes away cancels it), Redis trouble
 * (down, timeout) answered as a 503 in the one error shape, and the reply
 * checked for its shape.
 */


#include "ngx_csq_call.h"
#include "ngx_csq_redis.h"
#include "ngx_csq_json.h"


static void ngx_csq_call_done(void *data, ngx_int_t rc, redisReply *reply);
static ngx_int_t ngx_csq_call_retry_after(ngx_http_request_t *r,
    redisReply *reply);


ngx_int_t
ngx_csq_call(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_reply_pt handler)
{
    u_char       *p;
    ngx_str_t     argv[10], *v;
    ngx_uint_t    nkeys;
    ngx_time_t   *tp;

    /* KEYS[1]: the tenant's hash; its tag puts all its keys on one slot */

    p = ngx_pnalloc(r->pool, sizeof("csq:{}:tenant") - 1 + a->tenant.len
                             + NGX_INT64_LEN + 3);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    argv[0].data = p;
    argv[0].len = ngx_sprintf(p, "csq:{%V}:tenant", &a->tenant) - p;
    p += argv[0].len;

    nkeys = 1;

    if (a->registry) {
        ngx_str_set(&argv[1], NGX_CSQ_REGISTRY_KEY);
        nkeys = 2;
    }

    v = &argv[nkeys];

    tp = ngx_timeofday();
    v[0].data = p;
    v[0].len = ngx_sprintf(p, "%T%03M", tp->sec, tp->msec) - p;

    v[1] = a->token.agent;

    if (ngx_csq_token_role(r->pool, &a->token, &v[2]) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    v[3] = a->id;
    v[4] = a->body;
    v[5] = a->extra;

    ngx_csq_request_origin(r, &v[6], &v[7]);

    if (a->origin.len) {
        v[6] = a->origin;
    }

    return ngx_csq_call_argv(r, a->fn, nkeys, argv, nkeys + 8, handler);
}


ngx_int_t
ngx_csq_call_argv(ngx_http_request_t *r, ngx_uint_t fn, ngx_uint_t nkeys,
    ngx_str_t *argv, ngx_uint_t argc, ngx_csq_reply_pt handler)
{
    ngx_csq_ctx_t  *ctx;

    ctx = ngx_csq_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->reply_handler = handler ? handler : ngx_csq_call_reply;
    ctx->cmd = ngx_csq_redis_fcall(fn, nkeys, argv, argc,
                                   ngx_csq_call_done, r);

    if (ctx->cmd == NULL) {
        return ngx_csq_json_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                  "redis_unavailable",
                                  "Redis cannot be reached");
    }

    /* a client that goes away finalizes the request, which cancels */

    r->read_event_handler = ngx_http_test_reading;

    r->main->count++;

    return NGX_DONE;
}


/* the reply as it is: its status and JSON */

ngx_int_t
ngx_csq_call_reply(ngx_http_request_t *r, void *data)
{
    ngx_int_t  status;
    ngx_str_t  json;

    if (ngx_csq_call_result(r, data, &status, &json) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_csq_call_send(r, status, &json);
}


ngx_int_t
ngx_csq_call_result(ngx_http_request_t *r, redisReply *reply,
    ngx_int_t *status, ngx_str_t *text)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2
        || reply->element[0]->type != REDIS_REPLY_INTEGER
        || reply->element[1]->type != REDIS_REPLY_STRING
        || reply->element[0]->integer < 200
        || reply->element[0]->integer > 599)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "csq: redis: unexpected reply of a function");
        return NGX_ERROR;
    }

    *status = (ngx_int_t) reply->element[0]->integer;

    text->len = reply->element[1]->len;
    text->data = ngx_pnalloc(r->pool, text->len + 1);
    if (text->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(text->data, reply->element[1]->str, text->len);
    text->data[text->len] = '\0';

    return NGX_OK;
}


ngx_int_t
ngx_csq_call_expect(ngx_http_request_t *r, void *reply, ngx_int_t status,
    ngx_str_t *json)
{
    ngx_int_t  got;

    if (ngx_csq_call_result(r, reply, &got, json) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (got == status) {
        return NGX_DECLINED;
    }

    /* { 429, error, seconds }: how long to wait (a login, an arrival) */

    if (got == NGX_HTTP_TOO_MANY_REQUESTS
        && ngx_csq_call_retry_after(r, reply) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_csq_call_send(r, got, json);
}


static ngx_int_t
ngx_csq_call_retry_after(ngx_http_request_t *r, redisReply *reply)
{
    u_char     *p;
    ngx_str_t   wait;

    if (reply->elements < 3
        || reply->element[2]->type != REDIS_REPLY_INTEGER)
    {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    wait.data = p;
    wait.len = ngx_sprintf(p, "%L", reply->element[2]->integer) - p;

    return ngx_csq_add_header(r, "Retry-After", &wait);
}


ngx_int_t
ngx_csq_call_send(ngx_http_request_t *r, ngx_int_t status, ngx_str_t *json)
{
    ngx_uint_t  level;

    if (status >= NGX_HTTP_BAD_REQUEST) {
        level = (status >= NGX_HTTP_INTERNAL_SERVER_ERROR) ? NGX_LOG_WARN
                                                          : NGX_LOG_INFO;
        ngx_log_error(level, r->connection->log, 0, "csq: %i %V",
                      status, json);
    }

    return ngx_csq_json_send_text(r, status, json);
}


static void
ngx_csq_call_done(void *data, ngx_int_t rc, redisReply *reply)
{
    ngx_http_request_t *r = data;

    ngx_int_t            status;
    ngx_uint_t           full, level;
    ngx_csq_ctx_t       *ctx;
    ngx_connection_t    *c;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    ctx->cmd = NULL;

    switch (rc) {

    case NGX_CSQ_REDIS_OK:

        if (reply->type == REDIS_REPLY_ERROR) {

            /* full (maxmemory) is the operator's to see, not a failure */

            full = ngx_csq_redis_full(reply);
            level = full ? NGX_LOG_WARN : NGX_LOG_ERR;

            ngx_log_error(level, r->connection->log, 0,
                          full ? "csq: redis is full (maxmemory): %s"
                               : "csq: redis: function failed: %s",
                          reply->str);

            status = ngx_csq_json_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                        full ? "redis_full" : "redis_error",
                                        full ? "Redis is full, try again "
                                               "later"
                                             : "Redis refused the call");
            break;
        }

        status = ctx->reply_handler(r, reply);

        if (status == NGX_CSQ_GONE) {
            return;     /* the request became a socket */
        }

        break;

    case NGX_CSQ_REDIS_TIMEOUT:
        status = ngx_csq_json_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "redis_timeout",
                                    "Redis did not answer in time");
        break;

    default: /* NGX_CSQ_REDIS_DOWN */
        status = ngx_csq_json_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "redis_unavailable",
                                    "Redis cannot be reached");
    }

    /*
     * this runs from a Redis event, not the client's: run what finalizing
     * posted (a parent of a subrequest, a termination), as upstream does
     */

    c = r->connection;

    ngx_http_finalize_request(r, status);
    ngx_http_run_posted_requests(c);
}
