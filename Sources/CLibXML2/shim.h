#include <libxml/xmlversion.h>
// Debian builds libxml2 with ICU, so its encoding.h would include <unicode/ucnv.h>, which
// clashes with the ICU headers Foundation ships (_FoundationICU). Only the layout of
// xmlCharEncodingHandler depends on it, and Swift never touches that struct.
#undef LIBXML_ICU_ENABLED
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>

// xmlFree is a macro in thread-enabled builds (a call through __xmlFree()), which Swift cannot
// import; this wrapper frees what libxml2 allocated (xmlNodeGetContent's result).
static inline void policywatch_xmlFree(void *p) { xmlFree(p); }

// Some libxml2 errors (encoding conversion, I/O) bypass a reader's error callback and go to the
// "generic" handler, which prints to stderr. The feed parser reports errors itself, so it
// silences that handler for the calling thread (libxml2 keeps it per thread). A variadic C
// function cannot be written in Swift, hence this helper.
static void policywatch_ignoreGenericError(void *context, const char *message, ...) { (void)context; (void)message; }
static inline void policywatch_silenceGenericErrors(void) { xmlSetGenericErrorFunc(NULL, policywatch_ignoreGenericError); }
