
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_SCRIPTS_H_INCLUDED_
#define _NGX_CSQ_SCRIPTS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_csq_scripts_gen.h"


/* one script of the redis folder, embedded by embed_scripts.sh */
typedef struct {
    ngx_str_t   name;
    ngx_str_t   sha1;
    ngx_str_t   text;
} ngx_csq_script_t;


extern ngx_csq_script_t  ngx_csq_scripts[];


#endif /* _NGX_CSQ_SCRIPTS_H_INCLUDED_ */
