# common.mk — build settings shared by test/fuzz, test/difftest and
# test/bench (C + libpq), included by their Makefiles.
#
# COMMON_DIR is this directory (test/common), with the helpers fuzz and
# difftest share: strbuf.c (memory, strings) and pgconn.c (libpq).

COMMON_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
COMMON_C := $(COMMON_DIR)/strbuf.c $(COMMON_DIR)/pgconn.c
COMMON_H := $(COMMON_DIR)/strbuf.h $(COMMON_DIR)/pgconn.h
COMMON_OBJS := strbuf.o pgconn.o

PG_CONFIG ?= $(shell test -x /usr/lib/postgresql/15/bin/pg_config && echo /usr/lib/postgresql/15/bin/pg_config || echo pg_config)
PG_INCLUDEDIR := $(shell $(PG_CONFIG) --includedir)
PG_LIBDIR := $(shell $(PG_CONFIG) --libdir)

CC ?= cc
CFLAGS ?= -O2
CFLAGS += -Wall -Wextra -I$(PG_INCLUDEDIR)
LDFLAGS += -L$(PG_LIBDIR)
LDLIBS += -lpq
