
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_OUTBOX_H_INCLUDED_
#define _NGX_CSQ_OUTBOX_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_csq_module.h"


/* csq_outbox: the location the outbox's posts go through */
char *ngx_csq_outbox_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* $csq_outbox_url */
ngx_int_t ngx_csq_outbox_add_variables(ngx_conf_t *cf);

/* NGX_OK when csq_outbox_allow lets url out */
ngx_int_t ngx_csq_outbox_allowed(ngx_csq_main_conf_t *cmcf, ngx_str_t *url);

ngx_int_t ngx_csq_outbox_init(ngx_cycle_t *cycle, ngx_csq_main_conf_t *cmcf);
void ngx_csq_outbox_done_process(void);

/* the tenant has something due in its outbox: claim it soon */
void ngx_csq_outbox_wake(ngx_str_t *tenant);


#endif /* _NGX_CSQ_OUTBOX_H_INCLUDED_ */
