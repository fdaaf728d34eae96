import type { DiagnosisTreeSpec, HealingDiagnosis } from '@gantry/client';
import { NODE_HEIGHT, NODE_WIDTH, treeGraph } from '../../lib/healing';

const TAKEN = '#1677ff';
const IDLE = '#bfbfbf';

/** The diagnosis tree drawn left to right, the path the diagnosis took in blue, with what each branch gave. */
export function DiagnosisGraph({
  spec,
  diagnosis,
}: {
  spec: DiagnosisTreeSpec;
  diagnosis?: HealingDiagnosis;
}) {
  const graph = treeGraph(spec, diagnosis);
  const at = new Map(graph.nodes.map((node) => [node.id, node]));
  return (
    <div style={{ overflowX: 'auto' }}>
      <svg
        width={graph.width}
        height={graph.height}
        role="img"
        aria-label="diagnosis tree"
        data-testid="diagnosis-graph"
        style={{ fontFamily: 'ui-sans-serif, system-ui', fontSize: 12 }}
      >
        <defs>
          <marker
            id="arrow-taken"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="6"
            markerHeight="6"
            orient="auto"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" fill={TAKEN} />
          </marker>
          <marker
            id="arrow-idle"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="6"
            markerHeight="6"
            orient="auto"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" fill={IDLE} />
          </marker>
        </defs>
        {graph.edges.map((edge) => {
          const from = at.get(edge.from);
          const to = at.get(edge.to);
          if (!from || !to) return null;
          const x1 = from.x + NODE_WIDTH;
          const y1 = from.y + NODE_HEIGHT / 2;
          const x2 = to.x;
          const y2 = to.y + NODE_HEIGHT / 2;
          return (
            <g
              key={`${edge.from}-${edge.to}`}
              data-testid={`tree-edge-${edge.from}-${edge.to}`}
              data-taken={edge.taken ? 'true' : 'false'}
            >
              <line
                x1={x1}
                y1={y1}
                x2={x2}
                y2={y2}
                stroke={edge.taken ? TAKEN : IDLE}
                strokeWidth={edge.taken ? 3 : 1.5}
                markerEnd={`url(#arrow-${edge.taken ? 'taken' : 'idle'})`}
              />
              <text
                x={(x1 + x2) / 2}
                y={(y1 + y2) / 2 - 6}
                textAnchor="middle"
                fill={edge.taken ? TAKEN : '#8c8c8c'}
              >
                {edge.label}
              </text>
            </g>
          );
        })}
        {graph.nodes.map((node) => (
          <g
            key={node.id}
            data-testid={`tree-node-${node.id}`}
            data-taken={node.taken ? 'true' : 'false'}
            transform={`translate(${node.x}, ${node.y})`}
          >
            <title>{node.tried ? node.tried.join('\n') : node.label}</title>
            <rect
              width={NODE_WIDTH}
              height={NODE_HEIGHT}
              rx={node.kind === 'conclusion' ? 18 : 4}
              fill={node.taken ? '#e6f4ff' : '#fff'}
              stroke={node.taken ? TAKEN : IDLE}
              strokeWidth={node.taken ? 2.5 : 1}
            />
            <text x={10} y={20} fontWeight={600}>
              {node.label}
            </text>
            <text x={10} y={37} fill="#8c8c8c">
              {node.kind === 'conclusion'
                ? `→ ${node.action}`
                : node.tried
                  ? node.tried[0]?.slice(0, 26)
                  : 'step'}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}
