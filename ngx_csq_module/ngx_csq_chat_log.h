
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_CHAT_LOG_H_INCLUDED_
#define _NGX_CSQ_CHAT_LOG_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_csq_chat_call.h"


/* "<ms>-<seq>", a Redis stream id */
ngx_int_t ngx_csq_chat_parse_id(u_char *p, size_t len, uint64_t *ms,
    uint64_t *seq);

/* conversations a socket follows at most */
#define NGX_CSQ_CHAT_CURSORS_MAX  1000

/* the cursor of a conversation (made when create and room allow) */
ngx_csq_cursor_t *ngx_csq_chat_cursor(ngx_csq_chat_t *chat,
    u_char *conversation, size_t len, ngx_uint_t create);

/* the socket's channels: one is subscribed; a message on one */
void ngx_csq_chat_ready(ngx_csq_sub_t *sub);
void ngx_csq_chat_live(ngx_csq_sub_t *sub, u_char *data, size_t len);

/* a client's message stored: its entry, when nothing is missing before
 * it, then the ack */
void ngx_csq_chat_sent(ngx_csq_chat_call_t *call, ngx_int_t status,
    redisReply *reply);

/* the send queue is empty (ws on_drain): paced read-backs go on */
void ngx_csq_chat_drained(ngx_csq_ws_t *ws);

/* how many bytes of log a read-back may bring now */
size_t ngx_csq_chat_budget(ngx_csq_chat_t *chat);

/*
 * R9.6: 1 when what pub/sub brings this worker lags more than max ms
 * behind its usual (the relay cannot keep up: new messages are refused)
 */
ngx_uint_t ngx_csq_chat_behind(ngx_msec_t max);

/* a client's sync answered: the entries, then the ack */
void ngx_csq_chat_history(ngx_csq_chat_call_t *call, ngx_int_t status,
    redisReply *reply);


#endif /* _NGX_CSQ_CHAT_LOG_H_INCLUDED_ */
