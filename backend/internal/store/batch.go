package store

import (
	"context"
	"database/sql"
	"errors"

	"gatepass.dev/shared/api"
)

// Batch is a bulk lifecycle change inside one transaction: the same writes
// as UpdateRequestCAS, InsertAudit and EnqueueMail, on statements prepared
// once (the expiry of a thousand grants in the same second).
type Batch struct {
	cas, audit, mail *sql.Stmt
}

// NewBatch prepares the statements on tx; Close them when done.
func NewBatch(ctx context.Context, tx *sql.Tx) (*Batch, error) {
	var b Batch
	var err error
	if b.cas, err = tx.PrepareContext(ctx, sqlRequestCAS); err != nil {
		return nil, err
	}
	if b.audit, err = tx.PrepareContext(ctx, sqlInsertAudit); err != nil {
		b.Close()
		return nil, err
	}
	if b.mail, err = tx.PrepareContext(ctx, sqlEnqueueMail); err != nil {
		b.Close()
		return nil, err
	}
	return &b, nil
}

// UpdateRequestCAS is UpdateRequestCAS on the batch.
func (b *Batch) UpdateRequestCAS(ctx context.Context, r Request, from api.RequestStatus) error {
	res, err := b.cas.ExecContext(ctx, casArgs(r, from)...)
	return casResult(res, err, from)
}

// InsertAudit is InsertAudit on the batch.
func (b *Batch) InsertAudit(ctx context.Context, e AuditEntry) error {
	args, err := auditArgs(e)
	if err != nil {
		return err
	}
	_, err = b.audit.ExecContext(ctx, args...)
	return err
}

// EnqueueMail is EnqueueMail on the batch.
func (b *Batch) EnqueueMail(ctx context.Context, m OutboxMessage) error {
	_, err := b.mail.ExecContext(ctx, mailArgs(m)...)
	return err
}

// Close releases the statements.
func (b *Batch) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{b.cas, b.audit, b.mail} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
