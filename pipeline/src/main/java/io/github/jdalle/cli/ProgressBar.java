package io.github.jdalle.cli;

import java.io.PrintWriter;

/** A one-line progress bar on stderr, redrawn in place; silent when stderr is not a terminal or when switched off. */
final class ProgressBar {
    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;
    private final PrintWriter out;
    private final boolean enabled;
    private long lastDraw;
    private boolean drawn;

    /** A bar on {@code out}, drawn only when {@code wanted} and the console is a terminal. */
    ProgressBar(PrintWriter out, boolean wanted) {
        this.out = out;
        this.enabled = wanted && System.console() != null && System.console().isTerminal();
    }

    /** Shows {@code done} of {@code total} steps with a label. */
    void steps(String label, int done, int total) {
        draw(label, total <= 0 ? -1 : (double) done / total, done + "/" + total);
    }

    /** Shows bytes received of a file. */
    void bytes(String label, long received, long total) {
        String amount = String.format("%.1f/%s MB", received / 1e6, total < 0 ? "?" : String.format("%.1f", total / 1e6));
        draw(label, total <= 0 ? -1 : (double) received / total, amount);
    }

    /** Ends the current bar's line, if one was drawn. */
    void done() {
        if (drawn) {
            out.println();
            out.flush();
            drawn = false;
            lastDraw = 0;
        }
    }

    private void draw(String label, double fraction, String detail) {
        long now = System.nanoTime();
        if (!enabled || (fraction < 1 && drawn && now - lastDraw < REDRAW_NANOS)) {
            return;
        }
        lastDraw = now;
        drawn = true;
        int filled = fraction < 0 ? 0 : (int) Math.round(Math.min(fraction, 1) * WIDTH);
        out.print("\r" + label + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + detail + "   ");
        out.flush();
    }
}
