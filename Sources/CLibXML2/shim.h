#include <libxml/xmlversion.h>
// Debian builds libxml2 with ICU, so its encoding.h would include <unicode/ucnv.h>, which
// clashes with the ICU headers Foundation ships (_FoundationICU). Only the layout of
// xmlCharEncodingHandler depends on it, and Swift never touches that struct.
#undef LIBXML_ICU_ENABLED
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
