
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_REDIS_SUB_H_INCLUDED_
#define _NGX_CSQ_REDIS_SUB_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_csq_module.h"


typedef struct ngx_csq_channel_s  ngx_csq_channel_t;
typedef struct ngx_csq_sub_s      ngx_csq_sub_t;

/* a message published on the channel; the data lives only for the call */
typedef void (*ngx_csq_sub_message_pt)(ngx_csq_sub_t *sub, u_char *data,
    size_t len);

/*
 * the channel is subscribed: the first time, and again after Redis came
 * back, when messages may have been missed meanwhile (pub/sub is at most
 * once): the listener catches up from the durable log
 */
typedef void (*ngx_csq_sub_ready_pt)(ngx_csq_sub_t *sub);


struct ngx_csq_sub_s {
    ngx_queue_t                queue;      /* the channel's listeners */
    ngx_queue_t                ready;      /* due for on_ready */
    ngx_csq_channel_t         *channel;
    ngx_csq_sub_message_pt     on_message;
    ngx_csq_sub_ready_pt       on_ready;
    void                      *data;
};


ngx_int_t ngx_csq_sub_init(ngx_cycle_t *cycle, ngx_csq_main_conf_t *cmcf);
void ngx_csq_sub_done(ngx_cycle_t *cycle);

/* listen on a channel (the name is copied); on_ready comes later */
ngx_int_t ngx_csq_sub_add(ngx_csq_sub_t *sub, ngx_str_t *name);
void ngx_csq_sub_del(ngx_csq_sub_t *sub);

/* channels subscribed, for the status page */
ngx_uint_t ngx_csq_sub_channels(void);


#endif /* _NGX_CSQ_REDIS_SUB_H_INCLUDED_ */
