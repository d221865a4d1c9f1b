
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_CHAT_CALL_H_INCLUDED_
#define _NGX_CSQ_CHAT_CALL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_csq_module.h"
#include "ngx_csq_redis.h"
#include "ngx_csq_ws.h"
#include "ngx_csq_redis_sub.h"


#define NGX_CSQ_CHAT_CALLS_MAX   32     /* a socket's calls in flight */
#define NGX_CSQ_CHAT_CALLS_LOW   8
#define NGX_CSQ_CHAT_REF_MAX     64


typedef struct ngx_csq_chat_s       ngx_csq_chat_t;
typedef struct ngx_csq_chat_call_s  ngx_csq_chat_call_t;


/* a well-formed reply { status, text, ... } of a socket's call */
typedef void (*ngx_csq_chat_reply_pt)(ngx_csq_chat_call_t *call,
    ngx_int_t status, redisReply *reply);


/* a conversation the socket follows: the last log id it sent */
typedef struct {
    ngx_str_t                  conversation;
    uint64_t                   ms;
    uint64_t                   seq;
    unsigned                   syncing:1;
    unsigned                   dirty:1;  /* missed something meanwhile */
    unsigned                   paced:1;  /* reads on once the queue drains */
} ngx_csq_cursor_t;


struct ngx_csq_chat_call_s {
    ngx_queue_t                queue;
    ngx_csq_redis_cmd_t       *cmd;
    ngx_csq_chat_t            *chat;
    ngx_csq_chat_reply_pt      handler;
    ngx_uint_t                 cursor;
    unsigned                   client:1;  /* for a client frame, by ref */
    unsigned                   fatal:1;   /* Redis trouble ends the socket */
    size_t                     ref_len;
    u_char                     ref[NGX_CSQ_CHAT_REF_MAX];
};


struct ngx_csq_chat_s {
    ngx_csq_ws_t              *ws;
    ngx_csq_loc_conf_t        *conf;
    ngx_str_t                  key;           /* csq:{t}:tenant */
    ngx_str_t                  actor;
    ngx_uint_t                 role;
    ngx_str_t                  role_arg;      /* ARGV[3]: with the session */
    ngx_str_t                  session;       /* an agent's, else empty */
    ngx_str_t                  sock;          /* this socket's id */
    ngx_csq_sub_t             *subs;
    ngx_uint_t                 nsubs;
    ngx_uint_t                 nready;
    ngx_array_t                cursors;       /* of ngx_csq_cursor_t */
    ngx_queue_t                calls;
    ngx_uint_t                 ncalls;
    ngx_str_t                  limits;        /* ARGV[10]; "": trusted */
    ngx_msec_t                 bucket_at;     /* the frames' token bucket */
    ngx_uint_t                 bucket;        /* thousandths of a frame */
    ngx_uint_t                 limited;       /* refusals in a row */
    unsigned                   hello_sent:1;
    unsigned                   hello_pending:1;
    unsigned                   started:1;     /* the hello is out */
    unsigned                   resync:1;      /* catch up after the hello */
    unsigned                   again:1;       /* another hello after it */
    unsigned                   closed:1;
};


/*
 * Calls a library function for the socket with the API's arguments
 * (tenant key; now, actor, role, id, body, extra).  ref: the call is for
 * a client frame with this ref (may be empty), given to the function as
 * ARGV[9], so that its reply is the ack or error frame, with the socket's
 * limits as ARGV[10] ("<rate> <burst> <max messages> <max bytes>", or
 * empty for a trusted client).  handler: called
 * with the reply (NULL: nobody waits for it); fatal: Redis trouble closes
 * the socket (the client resumes), else a client's call gets an error
 * frame.  cursor: for the handler.
 */
ngx_int_t ngx_csq_chat_call(ngx_csq_chat_t *chat, ngx_uint_t fn,
    ngx_str_t *id, ngx_str_t *body, ngx_str_t *extra, ngx_str_t *ref,
    ngx_csq_chat_reply_pt handler, ngx_uint_t fatal, ngx_uint_t cursor);

/* the reply's frame (an ack or an error), to the client */
void ngx_csq_chat_answer(ngx_csq_chat_call_t *call, ngx_int_t status,
    redisReply *reply);

/* the reply's frame only when it is an error */
void ngx_csq_chat_complain(ngx_csq_chat_call_t *call, ngx_int_t status,
    redisReply *reply);

/* {"type":"error","ref":...,"error":{"code":...,"message":...}} */
void ngx_csq_chat_error(ngx_csq_chat_t *chat, ngx_str_t *ref, char *code,
    char *message);

/* the calls in flight are dropped (the socket is closing) */
void ngx_csq_chat_drop_calls(ngx_csq_chat_t *chat);


#endif /* _NGX_CSQ_CHAT_CALL_H_INCLUDED_ */
