import React from 'react';
import { act, render, screen } from '@testing-library/react';
import { useNow } from './useNow';

function Clock({ name }: { name: string }) {
  return <span data-testid={name}>{useNow(1000)}</span>;
}

describe('useNow', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('ticks every clock of an interval from one timer, and stops it when the last one goes', () => {
    const { unmount } = render(
      <>
        <Clock name="a" />
        <Clock name="b" />
        <Clock name="c" />
      </>
    );
    expect(jest.getTimerCount()).toBe(1);
    act(() => jest.advanceTimersByTime(2000));
    for (const name of ['a', 'b', 'c']) {
      expect(screen.getByTestId(name).textContent).toBe('1002000');
    }
    unmount();
    expect(jest.getTimerCount()).toBe(0);
  });
});
