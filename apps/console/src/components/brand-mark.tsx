/** Gantry's mark: a gantry crane's beam and mast. */
export function BrandMark({ size = 26 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="7" fill="#1f6feb" />
      <path d="M7 9h18v3.5H7zM13.5 12.5h5V25h-5z" fill="#fff" />
      <path d="M21 12.5h1.6v6H21z" fill="#9ec5ff" />
    </svg>
  );
}
