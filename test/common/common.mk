# common.mk — build settings shared by test/fuzz, test/difftest and
# test/bench (C + libpq), included by their Makefiles.

PG_CONFIG ?= $(shell test -x /usr/lib/postgresql/15/bin/pg_config && echo /usr/lib/postgresql/15/bin/pg_config || echo pg_config)
PG_INCLUDEDIR := $(shell $(PG_CONFIG) --includedir)
PG_LIBDIR := $(shell $(PG_CONFIG) --libdir)

CC ?= cc
CFLAGS ?= -O2
CFLAGS += -Wall -Wextra -I$(PG_INCLUDEDIR)
LDFLAGS += -L$(PG_LIBDIR)
LDLIBS += -lpq
