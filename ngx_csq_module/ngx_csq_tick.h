
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_TICK_H_INCLUDED_
#define _NGX_CSQ_TICK_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_csq_module.h"


/* the periodic tick: started in a worker, stopped when it exits */
ngx_int_t ngx_csq_tick_init(ngx_cycle_t *cycle, ngx_csq_main_conf_t *cmcf);
void ngx_csq_tick_done_process(void);


#endif /* _NGX_CSQ_TICK_H_INCLUDED_ */
