/* Copied to config.h for the fuzz build, which runs without configure. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
