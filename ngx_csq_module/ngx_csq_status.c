
/*
 * Copyright (C) ngx_csq_module authors
 *
 * csq_status: a health endpoint that makes a real round trip through the
 * Redis pool and the function path (FCALL_RO of the library's status).
 *
 *   GET  -> {"redis":"up","version":...,"library":...,"redis_version":...,
 *            "redis_time":...,"worker":...}
 *
 * "library" is the version of the Redis function library that answered:
 * this build's (embed_functions.sh).
 *   POST {"echo":"text"} -> the same, with "echo" carried through Redis
 *   Redis down or slow -> 503 {"error":{"code":"redis_unavailable",...}}
 */


#include "ngx_csq_module.h"
#include "ngx_csq_status.h"
#include "ngx_csq_call.h"
#include "ngx_csq_redis.h"
#include "ngx_csq_json.h"


#define NGX_CSQ_ECHO_MAX  1024


static ngx_int_t ngx_csq_status_body(ngx_http_request_t *r,
    ngx_csq_json_t *body);
static ngx_int_t ngx_csq_status_query(ngx_http_request_t *r,
    ngx_str_t *echo);
static ngx_int_t ngx_csq_status_send(ngx_http_request_t *r, void *data);


ngx_int_t
ngx_csq_status_handler(ngx_http_request_t *r)
{
    ngx_int_t          rc;

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_csq_status_query(r, NULL);
    }

    if (r->method == NGX_HTTP_POST) {
        return ngx_csq_json_read_body(r, ngx_csq_status_body);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_csq_json_not_allowed(r,
                                    NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST);
}


static ngx_int_t
ngx_csq_status_body(ngx_http_request_t *r, ngx_csq_json_t *body)
{
    ngx_csq_json_t  *echo;

    if (body->type != NGX_CSQ_JSON_OBJECT) {
        return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST, "invalid_field",
                                  "body must be a JSON object");
    }

    echo = ngx_csq_json_get(body, "echo");

    if (echo == NULL) {
        return ngx_csq_status_query(r, NULL);
    }

    if (echo->type != NGX_CSQ_JSON_STRING
        || echo->value.len > NGX_CSQ_ECHO_MAX)
    {
        return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST, "invalid_field",
                                  "\"echo\" must be a string of at most "
                                  "1024 bytes");
    }

    return ngx_csq_status_query(r, &echo->value);
}


static ngx_int_t
ngx_csq_status_query(ngx_http_request_t *r, ngx_str_t *echo)
{
    ngx_str_t  arg;

    if (echo) {
        arg = *echo;

    } else {
        ngx_str_null(&arg);
    }

    return ngx_csq_call_argv(r, NGX_CSQ_FN_STATUS, 0, &arg, 1,
                             ngx_csq_status_send);
}


static ngx_int_t
ngx_csq_status_send(ngx_http_request_t *r, void *data)
{
    redisReply  *reply = data;

    yajl_gen      g;
    ngx_uint_t    i;
    redisReply  **e;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) {
        goto invalid;
    }

    e = reply->element;

    for (i = 0; i < 4; i++) {
        if (e[i]->type != REDIS_REPLY_STRING) {
            goto invalid;
        }
    }

    g = ngx_csq_json_gen(r);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    yajl_gen_map_open(g);
    ngx_csq_json_gen_cstr(g, "redis");
    ngx_csq_json_gen_cstr(g, "up");
    ngx_csq_json_gen_cstr(g, "version");
    ngx_csq_json_gen_cstr(g, NGX_CSQ_VERSION);
    ngx_csq_json_gen_cstr(g, "library");
    (void) yajl_gen_string(g, (u_char *) e[3]->str, e[3]->len);
    ngx_csq_json_gen_cstr(g, "redis_version");
    (void) yajl_gen_string(g, (u_char *) e[0]->str, e[0]->len);
    ngx_csq_json_gen_cstr(g, "redis_time");
    (void) yajl_gen_number(g, e[1]->str, e[1]->len);
    ngx_csq_json_gen_cstr(g, "worker");
    (void) yajl_gen_integer(g, ngx_pid);

    if (e[2]->len) {
        ngx_csq_json_gen_cstr(g, "echo");
        (void) yajl_gen_string(g, (u_char *) e[2]->str, e[2]->len);
    }

    yajl_gen_map_close(g);

    return ngx_csq_json_send(r, NGX_HTTP_OK, g);

invalid:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "csq: redis: unexpected reply to the status function");

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}
