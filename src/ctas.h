/*-------------------------------------------------------------------------
 *
 * ctas.h
 *	  CREATE TABLE <prefix>x AS SELECT ... declares a read model.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_CTAS_H
#define READMODEL_CTAS_H

extern void readmodel_ctas_install_hook(void);

#endif							/* READMODEL_CTAS_H */
