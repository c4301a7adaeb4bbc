package org.forward4j.cli.compare;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.forward4j.core.train.EvalRecord;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Draws test accuracy against cumulative training queries, one line per configuration (mean over seeds). */
public final class AccuracyPlot {

    private AccuracyPlot() {
    }

    /**
     * Writes the PNG.
     *
     * @param runs all runs
     * @param file the PNG path
     * @param title the chart title
     */
    public static void write(List<Comparison.Run> runs, Path file, String title) {
        System.setProperty("java.awt.headless", "true");
        Map<String, List<Comparison.Run>> bySeries = new LinkedHashMap<>();
        for (Comparison.Run r : runs) {
            bySeries.computeIfAbsent(r.estimator() + " / " + r.allocator(), k -> new ArrayList<>()).add(r);
        }
        XYChart chart = new XYChartBuilder().width(1000).height(650).title(title)
                .xAxisTitle("training queries").yAxisTitle("test accuracy (mean over seeds)").build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
        double lo = 1.0;
        for (var e : bySeries.entrySet()) {
            List<Comparison.Run> rs = e.getValue();
            int n = rs.stream().mapToInt(r -> r.records().size()).min().orElse(0);
            if (n == 0) {
                continue;
            }
            double[] x = new double[n];
            double[] y = new double[n];
            for (int k = 0; k < n; k++) {
                double s = 0;
                for (Comparison.Run r : rs) {
                    EvalRecord rec = r.records().get(k);
                    x[k] = rec.queries();
                    s += rec.testAccuracy();
                }
                y[k] = s / rs.size();
            }
            lo = Math.min(lo, y[Math.min(n - 1, Math.max(1, n / 4))]);
            chart.addSeries(e.getKey(), x, y).setMarker(SeriesMarkers.NONE);
        }
        chart.getStyler().setYAxisMin(Math.max(0, Math.floor(lo * 20) / 20));
        chart.getStyler().setYAxisMax(1.0);
        try {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write plot " + file + ": " + e.getMessage(), e);
        }
    }
}
