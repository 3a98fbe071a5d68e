package org.sluice.test;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * A streaming job whose code throws a few seconds after each (re)start: Flink restarts it as
 * its restart strategy allows, then fails it. Built by test/flink/job-state.test.ts with javac.
 */
public class FailingJob {
  public static void main(String[] args) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.fromSequence(1, Long.MAX_VALUE).map(new FailAfterSeconds(3)).filter(value -> false).print();
    env.execute("failing-job");
  }

  /** Passes values on for a few seconds after it is opened, then throws. */
  public static class FailAfterSeconds implements MapFunction<Long, Long> {
    private final long seconds;
    private transient long started;

    public FailAfterSeconds(long seconds) {
      this.seconds = seconds;
    }

    @Override
    public Long map(Long value) throws Exception {
      if (started == 0) started = System.currentTimeMillis();
      Thread.sleep(10);
      if (System.currentTimeMillis() - started > seconds * 1000) {
        throw new IllegalStateException("sluice test job: failing on purpose after " + seconds + " seconds");
      }
      return value;
    }
  }
}
