package store

import (
	"context"
	"database/sql/driver"
	"errors"

	"github.com/jackc/pgx/v5/stdlib"
)

// The PostgreSQL connections of database/sql are pgx's (pgx/v5/stdlib),
// wrapped so that every statement's "?" placeholders are rebound to "$n"
// on the way in: store functions, their callers and *sql.Tx stay the same
// for both dialects.

type rebindConnector struct{ driver.Connector }

func (c rebindConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pc, ok := conn.(*stdlib.Conn)
	if !ok {
		conn.Close()
		return nil, errors.New("store: the pgx connector returned an unexpected connection type")
	}
	return rebindConn{pc}, nil
}

// rebindConn is a pgx connection that rebinds placeholders. It implements
// the optional interfaces of database/sql/driver that *stdlib.Conn does.
type rebindConn struct{ c *stdlib.Conn }

var (
	_ driver.Conn               = rebindConn{}
	_ driver.ConnPrepareContext = rebindConn{}
	_ driver.ConnBeginTx        = rebindConn{}
	_ driver.ExecerContext      = rebindConn{}
	_ driver.QueryerContext     = rebindConn{}
	_ driver.Pinger             = rebindConn{}
	_ driver.NamedValueChecker  = rebindConn{}
	_ driver.SessionResetter    = rebindConn{}
)

func (r rebindConn) Prepare(query string) (driver.Stmt, error) { return r.c.Prepare(rebind(query)) }
func (r rebindConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return r.c.PrepareContext(ctx, rebind(query))
}
func (r rebindConn) Close() error              { return r.c.Close() }
func (r rebindConn) Begin() (driver.Tx, error) { return r.c.Begin() }
func (r rebindConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return r.c.BeginTx(ctx, opts)
}
func (r rebindConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return r.c.ExecContext(ctx, rebind(query), args)
}
func (r rebindConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return r.c.QueryContext(ctx, rebind(query), args)
}
func (r rebindConn) Ping(ctx context.Context) error             { return r.c.Ping(ctx) }
func (r rebindConn) CheckNamedValue(v *driver.NamedValue) error { return r.c.CheckNamedValue(v) }
func (r rebindConn) ResetSession(ctx context.Context) error     { return r.c.ResetSession(ctx) }
