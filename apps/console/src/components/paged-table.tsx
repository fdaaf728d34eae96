import { Table, type TableColumnsType } from 'antd';
import type { ReactNode } from 'react';
import { ErrorAlert } from './error-alert';
import { LoadMore } from './load-more';

/** What a paged table needs of `useInfiniteQuery`'s result. */
export interface PagedQuery {
  error: unknown;
  isPending: boolean;
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => Promise<unknown>;
}

/**
 * A list read a page at a time with continue tokens (runs, hosts, changes): its error, the table, and
 * "Load more" while the server has more. `rowKey` names each row; `testId` the table.
 */
export function PagedTable<T extends object>({
  query,
  items,
  columns,
  rowKey,
  testId,
  empty,
  note,
  scrollX,
}: {
  query: PagedQuery;
  items: T[];
  columns: TableColumnsType<T>;
  rowKey: keyof T & string;
  testId: string;
  empty: ReactNode;
  note?: ReactNode;
  /** Wide tables scroll sideways instead of squeezing their columns. */
  scrollX?: boolean;
}) {
  return (
    <>
      <ErrorAlert error={query.error} style={{ marginBottom: 16 }} />
      <Table<T>
        data-testid={testId}
        rowKey={rowKey}
        columns={columns}
        dataSource={items}
        loading={query.isPending}
        pagination={false}
        size="middle"
        {...(scrollX ? { scroll: { x: 'max-content' as const } } : {})}
        locale={{ emptyText: empty }}
      />
      <LoadMore
        shown={items.length}
        note={note}
        hasMore={query.hasNextPage}
        loading={query.isFetchingNextPage}
        onLoadMore={() => void query.fetchNextPage()}
      />
    </>
  );
}
