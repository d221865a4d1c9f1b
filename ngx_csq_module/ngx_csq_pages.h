
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_PAGES_H_INCLUDED_
#define _NGX_CSQ_PAGES_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* a file of the pages folder (www/), embedded by embed_assets.sh */
typedef struct {
    ngx_str_t    name;
    ngx_str_t    type;
    ngx_str_t    etag;       /* quoted */
    ngx_str_t    data;
} ngx_csq_asset_t;


extern ngx_csq_asset_t  ngx_csq_assets[];


#endif /* _NGX_CSQ_PAGES_H_INCLUDED_ */
