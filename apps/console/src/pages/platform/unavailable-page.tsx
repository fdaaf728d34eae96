import { Empty, Typography } from 'antd';
import { Link, useParams } from 'react-router';
import { PageHeader } from '../../components/page-header';
import { resolveEntry } from '../../hooks/use-entry-link';
import { useKinds } from '../../hooks/use-kinds';
import { findEntry } from '../../lib/platform-map';
import { NotFoundPage } from '../not-found-page';

/** A platform-map entry this server does not implement yet: said plainly, with no stand-in data. */
export function UnavailablePage({ entryKey }: { entryKey?: string }) {
  const { entry: key = entryKey ?? '' } = useParams();
  const kinds = useKinds();
  const found = findEntry(key);
  if (!found) return <NotFoundPage />;
  const { section, entry } = found;
  const link = resolveEntry(entry, kinds.data);

  return (
    <>
      <PageHeader
        title={entry.label}
        subtitle={entry.description}
        crumbs={[{ label: section.label }, { label: entry.label }]}
      />
      <div style={{ background: '#fff', borderRadius: 8, padding: '48px 24px' }} data-testid="not-available">
        <Empty
          image={Empty.PRESENTED_IMAGE_SIMPLE}
          description={
            <>
              <Typography.Title level={5} style={{ marginBottom: 4 }}>
                Not available in this version
              </Typography.Title>
              <Typography.Text type="secondary">
                {link.available ? (
                  <>
                    This server now offers it: <Link to={link.to}>open {entry.label}</Link>.
                  </>
                ) : entry.kinds.length > 0 ? (
                  <>
                    This server has no {entry.kinds.join(' or ')} resource kind yet. The kinds it does have
                    are listed under <Link to="/resources">Resources</Link>.
                  </>
                ) : (
                  'This server does not offer it yet.'
                )}
              </Typography.Text>
            </>
          }
        />
      </div>
    </>
  );
}
