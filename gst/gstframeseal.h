// gst/gstframeseal.h: the GTypes of frameseal's GStreamer plugin (gstframeseal.cpp, gstframesealpay.cpp).
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _GstFrameseal GstFrameseal;
typedef struct _GstFramesealClass GstFramesealClass;
typedef struct _GstFramesealEnc GstFramesealEnc;
typedef struct _GstFramesealEncClass GstFramesealEncClass;
typedef struct _GstFramesealDec GstFramesealDec;
typedef struct _GstFramesealDecClass GstFramesealDecClass;
GType gst_frameseal_get_type(void);
GType gst_frameseal_enc_get_type(void);
GType gst_frameseal_dec_get_type(void);
#define GST_TYPE_FRAMESEAL (gst_frameseal_get_type())
#define GST_TYPE_FRAMESEAL_ENC (gst_frameseal_enc_get_type())
#define GST_TYPE_FRAMESEAL_DEC (gst_frameseal_dec_get_type())

typedef struct _GstFramesealVpxPay GstFramesealVpxPay;
typedef struct _GstFramesealVpxPayClass GstFramesealVpxPayClass;
typedef struct _GstFramesealVp8Pay GstFramesealVp8Pay;
typedef struct _GstFramesealVp8PayClass GstFramesealVp8PayClass;
typedef struct _GstFramesealVp9Pay GstFramesealVp9Pay;
typedef struct _GstFramesealVp9PayClass GstFramesealVp9PayClass;
GType gst_frameseal_vpx_pay_get_type(void);
GType gst_frameseal_vp8_pay_get_type(void);
GType gst_frameseal_vp9_pay_get_type(void);
#define GST_TYPE_FRAMESEAL_VPX_PAY (gst_frameseal_vpx_pay_get_type())
#define GST_TYPE_FRAMESEAL_VP8_PAY (gst_frameseal_vp8_pay_get_type())
#define GST_TYPE_FRAMESEAL_VP9_PAY (gst_frameseal_vp9_pay_get_type())

G_END_DECLS
