import React from 'react';
import { render, screen } from '@testing-library/react';
import { FlappingBadge } from './FlappingBadge';

describe('FlappingBadge', () => {
  test('shows "Flapping", with since when in the tooltip', () => {
    render(<FlappingBadge flapping since="2026-12-07T03:20:00Z" />);
    const badge = screen.getByText('Flapping');
    expect(badge).toBeInTheDocument();
    expect(badge.closest('span[title]')?.getAttribute('title')).toContain('flapping since 2026-12-07T03:20:00.000Z');
  });

  test.each([false, undefined])('shows nothing when flapping is %s', (flapping) => {
    const { container } = render(<FlappingBadge flapping={flapping} />);
    expect(container).toBeEmptyDOMElement();
  });
});
