// Small inline icons (static markup, no user text).
const common = { width: 16, height: 16, viewBox: '0 0 24 24', 'aria-hidden': true as const, focusable: 'false' as const };

export function CheckIcon({ size = 16 }: { size?: number }) {
  return (
    <svg {...common} width={size} height={size} class="icon icon-check">
      <circle cx="12" cy="12" r="11" fill="currentColor" />
      <path d="M7 12.5l3.2 3.2L17 9" fill="none" stroke="#fff" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

export function RefreshIcon() {
  return (
    <svg {...common} class="icon">
      <path d="M20 11a8 8 0 1 0-2.34 5.66" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
      <path d="M20 4v7h-7" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

export function GearIcon() {
  return (
    <svg {...common} class="icon">
      <path
        d="M10.3 2.5h3.4l.5 2.6a7.5 7.5 0 0 1 1.9 1.1l2.5-.9 1.7 2.9-2 1.7a7.6 7.6 0 0 1 0 2.2l2 1.7-1.7 2.9-2.5-.9a7.5 7.5 0 0 1-1.9 1.1l-.5 2.6h-3.4l-.5-2.6a7.5 7.5 0 0 1-1.9-1.1l-2.5.9-1.7-2.9 2-1.7a7.6 7.6 0 0 1 0-2.2l-2-1.7 1.7-2.9 2.5.9a7.5 7.5 0 0 1 1.9-1.1z"
        fill="none"
        stroke="currentColor"
        stroke-width="1.8"
        stroke-linejoin="round"
      />
      <circle cx="12" cy="12" r="3" fill="none" stroke="currentColor" stroke-width="1.8" />
    </svg>
  );
}

export function BackIcon() {
  return (
    <svg {...common} class="icon">
      <path d="M15 5l-7 7 7 7" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

export function ChevronIcon({ open }: { open: boolean }) {
  return (
    <svg {...common} class={`icon chevron${open ? ' open' : ''}`}>
      <path d="M6 9l6 6 6-6" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

export function ClockIcon() {
  return (
    <svg {...common} class="icon">
      <circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="2" />
      <path d="M12 7v5l3 2" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
    </svg>
  );
}

/** The Gatepass mark (shared/brand/mark.svg, written to public/icon.svg by the icon generator). */
export function Logo() {
  return <img src="./icon.svg" width="28" height="28" alt="" aria-hidden="true" class="logo" />;
}
