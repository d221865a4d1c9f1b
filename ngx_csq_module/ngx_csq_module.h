
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_MODULE_H_INCLUDED_
#define _NGX_CSQ_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_csq_ws.h"


#define NGX_CSQ_VERSION       "0.1.0"

/* every tenant's id, for the workers' periodic tick */
#define NGX_CSQ_REGISTRY_KEY  "csq:tenants"

/* ids (tenant, queue, agent, customer, conversation): 1-64 of these */
#define NGX_CSQ_ID_MAX  64

ngx_int_t ngx_csq_valid_id(ngx_str_t *id);

/* "csq:{<tenant id, at most 64>}:tenant" and a NUL */
#define NGX_CSQ_TENANT_KEY_LEN  (sizeof("csq:{}:tenant") + 64)


typedef struct {
    ngx_str_t    redis_addr;        /* as written, for logs */
    ngx_str_t    redis_host;        /* numeric address, NUL-terminated */
    ngx_str_t    redis_unix;        /* socket path, NUL-terminated */
    ngx_str_t    redis_password;
    ngx_int_t    redis_db;
    ngx_uint_t   redis_pool;
    ngx_msec_t   redis_timeout;
    in_port_t    redis_port;

    ngx_str_t    secret;
    ngx_msec_t   token_ttl;
    ngx_array_t *assets;            /* csq_pages_root: the pages' files */
    ngx_msec_t   tick;

    unsigned     redis_set:1;
    unsigned     handlers:1;        /* some location serves csq content */
    unsigned     api:1;             /* some location serves csq_api */
} ngx_csq_main_conf_t;


typedef struct {
    size_t              max_body;
    ngx_csq_ws_conf_t   ws;
    ngx_msec_t          presence_grace;
    unsigned            handler:1;
} ngx_csq_loc_conf_t;


/* a reply handler took the request's connection over: r is gone */
#define NGX_CSQ_GONE  -100


typedef struct ngx_csq_redis_cmd_s  ngx_csq_redis_cmd_t;
typedef struct ngx_csq_json_s       ngx_csq_json_t;


/* what an endpoint does with its script's reply; returns like a handler */
typedef ngx_int_t (*ngx_csq_reply_pt)(ngx_http_request_t *r, void *reply);


/* a request's context, the same for every csq endpoint */
typedef struct {
    ngx_int_t               (*body_handler)(ngx_http_request_t *r,
                                            ngx_csq_json_t *body);
    ngx_csq_reply_pt          reply_handler;
    ngx_csq_redis_cmd_t      *cmd;         /* the Redis call in flight */
    void                     *data;        /* the endpoint's own state */
} ngx_csq_ctx_t;


extern ngx_module_t  ngx_http_csq_module;

/*
 * what the data of a csq timer event points to: nginx's debug log of a
 * timer reads ev->data as a connection; the handlers find their object
 * from the event itself
 */
extern ngx_connection_t  ngx_csq_timer_conn;


ngx_csq_ctx_t *ngx_csq_get_ctx(ngx_http_request_t *r);

/*
 * Runs an embedded script for the request and returns NGX_DONE (or an
 * error status); the handler gets the reply, Redis trouble becomes a 503.
 */
ngx_int_t ngx_csq_call(ngx_http_request_t *r, ngx_uint_t script,
    ngx_uint_t nkeys, ngx_str_t *argv, ngx_uint_t argc,
    ngx_csq_reply_pt handler);


/* a script's KEYS[1] (the tenant's hash) and ARGV[1] (now, ms) */
ngx_int_t ngx_csq_script_head(ngx_pool_t *pool, ngx_str_t *tenant,
    ngx_str_t *key, ngx_str_t *now);

ngx_int_t ngx_csq_status_handler(ngx_http_request_t *r);
ngx_int_t ngx_csq_api_handler(ngx_http_request_t *r);

typedef struct ngx_csq_token_s  ngx_csq_token_t;

/* a socket handshake (chat/ws, agent/ws) whose token is checked */
ngx_int_t ngx_csq_chat_handler(ngx_http_request_t *r, ngx_str_t *tenant,
    ngx_csq_token_t *tk, ngx_uint_t customer);

/* a page (tenant given) or an asset of the pages folder */
ngx_int_t ngx_csq_page_handler(ngx_http_request_t *r, ngx_str_t *tenant,
    ngx_str_t *name);
char *ngx_csq_pages_root_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* the request's Origin when it is another site's ("" when same-origin) */
void ngx_csq_foreign_origin(ngx_http_request_t *r, ngx_str_t *origin);

ngx_int_t ngx_csq_tick_init(ngx_cycle_t *cycle, ngx_csq_main_conf_t *cmcf);
void ngx_csq_tick_done_process(void);


#endif /* _NGX_CSQ_MODULE_H_INCLUDED_ */
