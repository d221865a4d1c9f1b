
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_FUNCTIONS_H_INCLUDED_
#define _NGX_CSQ_FUNCTIONS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_csq_functions_gen.h"


/*
 * One function of the Redis function library that embed_functions.sh puts
 * together from the functions folder: its short name (the file's), the
 * name Redis knows it by (csq_<version>_<name>), and whether it only reads
 * (flag no-writes: called with FCALL_RO).
 */
typedef struct {
    ngx_str_t   name;
    ngx_str_t   fname;
    ngx_uint_t  ro;
} ngx_csq_function_t;


extern ngx_csq_function_t  ngx_csq_functions[];

/* the library: "csq_<version>" and its text for FUNCTION LOAD */
extern ngx_str_t           ngx_csq_library_name;
extern ngx_str_t           ngx_csq_library;


#endif /* _NGX_CSQ_FUNCTIONS_H_INCLUDED_ */
