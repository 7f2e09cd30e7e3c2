// gst/plugin.cpp: registers frameseal's GStreamer elements.
#include <gst/gst.h>

#include "gstframeseal.h"

#ifndef PACKAGE
#  define PACKAGE "frameseal"
#endif

static gboolean plugin_init(GstPlugin* plugin) {
  return gst_element_register(plugin, "framesealenc", GST_RANK_NONE, GST_TYPE_FRAMESEAL_ENC) &&
         gst_element_register(plugin, "framesealdec", GST_RANK_NONE, GST_TYPE_FRAMESEAL_DEC) &&
         gst_element_register(plugin, "framesealvp8pay", GST_RANK_NONE, GST_TYPE_FRAMESEAL_VP8_PAY) &&
         gst_element_register(plugin, "framesealvp9pay", GST_RANK_NONE, GST_TYPE_FRAMESEAL_VP9_PAY);
}

GST_PLUGIN_DEFINE(
    GST_VERSION_MAJOR, GST_VERSION_MINOR, frameseal,
    "End-to-end encryption of encoded media (LiveKit E2EE, IETF SFrame) and E2EE-safe payloaders",
    plugin_init, FRAMESEAL_VERSION, "MIT", "frameseal", "https://github.com/frameseal/frameseal")
