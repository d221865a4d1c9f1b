
/*
 * Copyright (C) ngx_csq_module authors
 *
 * A request waiting on one Redis script: the request stays alive while the
 * command is in flight, a client that goes away cancels it, and Redis
 * trouble (down, timeout) is answered as a 503 in the one error shape.
 */


#include "ngx_csq_call.h"
#include "ngx_csq_redis.h"
#include "ngx_csq_json.h"


static void ngx_csq_call_done(void *data, ngx_int_t rc, redisReply *reply);


ngx_int_t
ngx_csq_call(ngx_http_request_t *r, ngx_uint_t script, ngx_uint_t nkeys,
    ngx_str_t *argv, ngx_uint_t argc, ngx_csq_reply_pt handler)
{
    ngx_csq_ctx_t  *ctx;

    ctx = ngx_csq_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->reply_handler = handler;
    ctx->cmd = ngx_csq_redis_fcall(script, nkeys, argv, argc,
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


/* KEYS[1] of a tenant, "csq:{<tenant>}:tenant", and ARGV[1], now in ms */

ngx_int_t
ngx_csq_fcall_head(ngx_pool_t *pool, ngx_str_t *tenant, ngx_str_t *key,
    ngx_str_t *now)
{
    u_char      *p;
    ngx_time_t  *tp;

    p = ngx_pnalloc(pool, sizeof("csq:{}:tenant") - 1 + tenant->len
                          + NGX_INT64_LEN + 3);
    if (p == NULL) {
        return NGX_ERROR;
    }

    key->data = p;
    key->len = ngx_sprintf(p, "csq:{%V}:tenant", tenant) - p;
    p += key->len;

    tp = ngx_timeofday();
    now->data = p;
    now->len = ngx_sprintf(p, "%T%03M", tp->sec, tp->msec) - p;

    return NGX_OK;
}


static void
ngx_csq_call_done(void *data, ngx_int_t rc, redisReply *reply)
{
    ngx_http_request_t *r = data;

    ngx_int_t            status;
    ngx_csq_ctx_t       *ctx;
    ngx_connection_t    *c;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    ctx->cmd = NULL;

    switch (rc) {

    case NGX_CSQ_REDIS_OK:

        if (reply->type == REDIS_REPLY_ERROR) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "csq: redis: script failed: %s", reply->str);

            status = ngx_csq_json_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                        "redis_error",
                                        "Redis refused the call");
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
