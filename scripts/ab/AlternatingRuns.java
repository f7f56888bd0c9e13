import java.io.File;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Two builds of the engine in one process, timed in alternating rounds, so that both see the same host: on a shared
 * machine the rate of memory moves by a quarter from one minute to the next, more than most changes being judged.
 * Each build gets its own class loader over its classes and the shared ones; the runner class (loaded in each)
 * takes its arguments as strings and has {@code double[] time(int steps)}.
 * Arguments: runner class, its two arguments, rounds, steps per round, class path A, class path B.
 */
public final class AlternatingRuns {
    private AlternatingRuns() {
    }

    public static void main(String[] args) throws Exception {
        String runner = args[0];
        int rounds = Integer.parseInt(args[3]);
        int steps = Integer.parseInt(args[4]);
        String[] paths = {args[5], args[6]};
        Object[] runs = new Object[2];
        Method[] time = new Method[2];
        for (int i = 0; i < 2; i++) {
            ClassLoader loader = new URLClassLoader(urls(paths[i]), ClassLoader.getPlatformClassLoader());
            Class<?> type = loader.loadClass(runner);
            runs[i] = type.getConstructor(String.class, String.class).newInstance(args[1], args[2]);
            time[i] = type.getMethod("time", int.class);
            time[i].invoke(runs[i], Math.min(steps, 5));    // warm-up
        }
        List<List<Double>> samples = List.of(new ArrayList<>(), new ArrayList<>());
        // the median of B's round over the median of A's, round by round: neighbours that come and go within
        // seconds then move both sides of a ratio, where they spread the pooled samples of each side
        double[] ratios = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            double[] roundMedian = new double[2];
            for (int turn = 0; turn < 2; turn++) {
                int i = (turn + round) % 2;   // A first in even rounds, B first in odd ones
                double[] ms = (double[]) time[i].invoke(runs[i], steps);
                for (double value : ms) {
                    samples.get(i).add(value);
                }
                roundMedian[i] = median(ms);
            }
            ratios[round] = roundMedian[1] / roundMedian[0];
        }
        for (int i = 0; i < 2; i++) {
            double[] ms = samples.get(i).stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.printf("%s %s(%s, %s): median %.2f ms, mean %.2f, p10 %.2f, min %.2f over %d steps%n",
                    i == 0 ? "A" : "B", runner, args[1], args[2], ms[ms.length / 2], Arrays.stream(ms).average()
                            .orElseThrow(), ms[ms.length / 10], ms[0], ms.length);
        }
        Arrays.sort(ratios);
        System.out.printf("B/A by round: median %.3f, quartiles %.3f-%.3f over %d rounds%n", median(ratios),
                ratios[rounds / 4], ratios[(3 * rounds) / 4], rounds);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static URL[] urls(String classPath) throws MalformedURLException {
        List<URL> urls = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            File file = new File(entry);
            urls.add(file.isDirectory() ? new File(entry + File.separator).toURI().toURL() : file.toURI().toURL());
        }
        return urls.toArray(URL[]::new);
    }
}
