package embedded

import (
	"fmt"

	"github.com/ksqlgo/ksql/broker"
)

// storageErr wraps err as a broker.ErrStorage with context. Both stay
// matchable: errors.Is(e, broker.ErrStorage) and, for example,
// errors.Is(e, syscall.ENOSPC).
func storageErr(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", broker.ErrStorage, what, err)
}
