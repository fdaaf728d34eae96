import { Button, Flex, Typography } from 'antd';
import type { ReactNode } from 'react';

/** Under a paged table: how many rows are shown, and "Load more" while the server has more. */
export function LoadMore({
  shown,
  note,
  hasMore,
  loading,
  onLoadMore,
  testId,
}: {
  shown: number;
  note?: ReactNode;
  hasMore: boolean;
  loading: boolean;
  onLoadMore: () => void;
  testId?: string;
}) {
  return (
    <Flex justify="space-between" align="center" style={{ marginTop: 16 }}>
      <Typography.Text type="secondary" data-testid={testId}>
        {shown} shown{note}
      </Typography.Text>
      {hasMore && (
        <Button onClick={onLoadMore} loading={loading}>
          Load more
        </Button>
      )}
    </Flex>
  );
}
