package sql

import (
	"strings"

	"github.com/ksqlgo/ksql/sql/types"
)

// primitiveTypes maps the built-in type names to their types.
var primitiveTypes = map[string]*types.Type{
	"BOOLEAN": types.BooleanType,
	"INT":     types.IntegerType, "INTEGER": types.IntegerType,
	"BIGINT": types.BigintType,
	"DOUBLE": types.DoubleType,
	"STRING": types.StringType, "VARCHAR": types.StringType,
	"BYTES":     types.BytesType,
	"TIMESTAMP": types.TimestampType,
	"DATE":      types.DateType,
	"TIME":      types.TimeType,
}

// typ parses a type:
//
//	BOOLEAN | INT | INTEGER | BIGINT | DOUBLE | STRING | VARCHAR | BYTES
//	| TIMESTAMP | DATE | TIME | DECIMAL(p, s) | ARRAY<T> | MAP<K, V>
//	| STRUCT<name T, ...> | custom type name | T ARRAY
//
// As in ksqlDB, "T ARRAY" is ARRAY<T>, and parameters after a base type
// name, as in VARCHAR(10), are accepted and ignored.
func (p *parser) typ() *types.Type {
	ok := p.enter()
	defer p.leave()
	if !ok {
		return types.NullType
	}
	t := p.baseType()
	for p.isKw("ARRAY") && !p.isOpAt(1, "<") {
		p.advance()
		t = types.ArrayOf(t)
	}
	return t
}

func (p *parser) baseType() *types.Type {
	t := p.peek(0)
	switch {
	case p.isKw("ARRAY") && p.isOpAt(1, "<"):
		p.advance()
		p.advance()
		elem := p.typ()
		p.expectOp(">")
		return types.ArrayOf(elem)
	case p.isKw("MAP") && p.isOpAt(1, "<"):
		p.advance()
		p.advance()
		key := p.typ()
		p.expectOp(",")
		val := p.typ()
		p.expectOp(">")
		return types.MapOf(key, val)
	case p.isKw("STRUCT") && p.isOpAt(1, "<>"): // the lexer reads "<>" as not-equal
		p.advance()
		p.advance()
		return types.StructOf()
	case p.isKw("STRUCT") && p.isOpAt(1, "<"):
		p.advance()
		p.advance()
		var fields []types.Field
		if !p.isOp(">") {
			for {
				name := p.ident()
				for _, f := range fields {
					if f.Name == name.Name {
						p.fail(name.At, "duplicate field name in STRUCT: %s", name.Name)
					}
				}
				fields = append(fields, types.Field{Name: name.Name, Type: p.typ()})
				if p.err != nil || !p.acceptOp(",") {
					break
				}
			}
		}
		p.expectOp(">")
		return types.StructOf(fields...)
	case p.isKw("DECIMAL"):
		p.advance()
		p.expectOp("(")
		prec, at := p.integer("DECIMAL precision")
		p.expectOp(",")
		scale, _ := p.integer("DECIMAL scale")
		p.expectOp(")")
		switch {
		case p.err != nil:
		case prec < 1:
			p.fail(at, "DECIMAL precision must be >= 1: DECIMAL(%d, %d)", prec, scale)
		case prec > types.MaxDecimalPrecision:
			p.fail(at, "DECIMAL precision must be <= %d: DECIMAL(%d, %d)", types.MaxDecimalPrecision, prec, scale)
		case scale < 0:
			p.fail(at, "DECIMAL scale must be >= 0: DECIMAL(%d, %d)", prec, scale)
		case scale > prec:
			p.fail(at, "DECIMAL precision must be >= scale: DECIMAL(%d, %d)", prec, scale)
		}
		return types.DecimalOf(int(prec), int(scale))
	case identOK(t):
		p.advance()
		if p.acceptOp("(") {
			for {
				if n := p.peek(0); n.kind == tInt || isKwTok(n, "STRING") {
					p.advance()
				} else {
					p.mismatch("{'STRING', INTEGER_VALUE}")
				}
				if p.err != nil || !p.acceptOp(",") {
					break
				}
			}
			p.expectOp(")")
		}
		if prim, ok := primitiveTypes[strings.ToUpper(t.text)]; ok {
			return prim
		}
		if typ, ok := p.customType(t.text); ok {
			return typ
		}
		p.fail(t.pos, "Unknown type: %s", t.text)
		return types.NullType
	}
	p.mismatch("a type")
	return types.NullType
}

// customType resolves a CREATE TYPE name: types created or dropped earlier
// in the same text first, then the caller's registry.
func (p *parser) customType(name string) (*types.Type, bool) {
	if t, ok := p.localTypes[name]; ok {
		return t, t != nil
	}
	if p.lookupType != nil {
		return p.lookupType(name)
	}
	return nil, false
}

// enter and leave bound the nesting of expressions and types, so that deep
// input cannot exhaust the stack.
func (p *parser) enter() bool {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.peek(0).pos, "expression or type is nested too deeply (more than %d levels)", maxDepth)
		return false
	}
	return true
}

func (p *parser) leave() { p.depth-- }
