/*-------------------------------------------------------------------------
 *
 * read_your_writes.h
 *	  Applying a transaction's pending work for the models a query of that
 *	  transaction reads, just before the query starts.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_READ_YOUR_WRITES_H
#define READMODEL_READ_YOUR_WRITES_H

#include "postgres.h"

extern bool readmodel_read_your_writes;

extern void readmodel_read_your_writes_install(void);

#endif							/* READMODEL_READ_YOUR_WRITES_H */
