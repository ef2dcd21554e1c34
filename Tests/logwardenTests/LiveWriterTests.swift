import Foundation
import Testing

/// A writer appending numbered lines (one write(2) per line) at a steady rate while `logwarden run` rotates again
/// and again. Afterwards every line must be present exactly once, whole, across the archives and the live files.
///
/// The writer is a small Perl program (Perl is on every mail server); the test is skipped without it.
private let writerScript = #"""
  use strict; use warnings; use Fcntl; use POSIX (); use Time::HiRes qw(time sleep);
  # The test runner's threads block some signals and children inherit that mask: unblock everything.
  POSIX::sigprocmask(POSIX::SIG_SETMASK(), POSIX::SigSet->new());
  my ($mode, $path, $rate, $pidfile) = @ARGV;
  my $reopen = 0;
  my $stop = 0;
  $SIG{HUP} = sub { $reopen = 1 };
  $SIG{TERM} = sub { $stop = 1 };
  my $roll = 5000;
  my $fh;
  sub target { my ($i) = @_; return $mode eq 'roll' ? sprintf("%s/L%07d.log", $path, int($i / $roll)) : $path }
  sysopen($fh, target(0), O_WRONLY | O_APPEND | O_CREAT, 0640) or die "open: $!";
  open(my $p, '>', $pidfile) or die; print $p "$$\n"; close($p);
  my $start = time;
  my $i = 0;
  while (!$stop && time - $start < 60) {  # never outlive a broken test
    if ($reopen && $mode eq 'reopen') { close($fh); sysopen($fh, $path, O_WRONLY | O_APPEND | O_CREAT, 0640) or die; $reopen = 0; }
    if ($mode eq 'roll' && $i > 0 && $i % $roll == 0) { close($fh); sysopen($fh, target($i), O_WRONLY | O_APPEND | O_CREAT, 0640) or die; }
    my $line = sprintf("n=%d %s\n", $i, 'x' x (($i * 7919) % 97));
    syswrite($fh, $line) == length($line) or die "write: $!";
    $i++;
    if ($i % 500 == 0) { my $ahead = $i / $rate - (time - $start); sleep($ahead) if $ahead > 0; }
  }
  close($fh);
  open(my $c, '>', "$pidfile.count") or die; print $c "$i\n"; close($c);
  """#

private func expectedLine(_ i: Int) -> String { "n=\(i) " + String(repeating: "x", count: (i * 7919) % 97) }

@Suite(.serialized) struct LiveWriterTests {
  static let perl = ["/usr/bin/perl", "/bin/perl"].first { FileManager.default.isExecutableFile(atPath: $0) }

  @Test(arguments: ["rename", "copytruncate", "closed"])
  func everyLineExactlyOnceWhileRotatingRepeatedly(mode: String) throws {
    guard let perl = Self.perl else {
      print("skipping the live-writer test: perl is not installed")
      return
    }
    let rate = 50_000
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let logs = dir.path + "/logs"
    try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
    let rotation: String
    let writerMode: String
    let writerPath: String
    switch mode {
    case "rename":
      rotation = """
              mode: rename
              size: 1
              notify:
                pidfile: \(dir.path)/writer.pid
                signal: HUP
        """
      writerMode = "reopen"
      writerPath = logs + "/app.log"
    case "copytruncate":
      rotation = "      mode: copytruncate\n      size: 1"
      writerMode = "keep"
      writerPath = logs + "/app.log"
    default:
      rotation = "      mode: closed\n      quiet: 0s"
      writerMode = "roll"
      writerPath = logs
    }
    let policy = """
      version: 1
      state-directory: \(dir.path)/state
      sets:
        live:
          directory: \(logs)
          glob: "\(mode == "closed" ? "L*.log" : "app.log")"
          rotation:
      \(rotation)
          archive:
            directory: \(dir.path)/archive

      """
    try policy.write(toFile: dir.path + "/policy.yaml", atomically: true, encoding: .utf8)
    let script = dir.path + "/writer.pl"
    try writerScript.write(toFile: script, atomically: true, encoding: .utf8)

    let writer = Process()
    writer.executableURL = URL(fileURLWithPath: perl)
    writer.arguments = [script, writerMode, writerPath, String(rate), dir.path + "/writer.pid"]
    try writer.run()
    // The writer writes its pid file once its log is open.
    while writer.isRunning && !FileManager.default.fileExists(atPath: dir.path + "/writer.pid") { usleep(10_000) }
    var failures: [String] = []
    let runs = 6
    for run in 1...runs {
      usleep(200_000)  // let some lines arrive
      let result = try CLI.run(["run", "--policy", dir.path + "/policy.yaml"], in: dir)
      if result.status != 0 { failures.append("run \(run): status \(result.status): \(result.stderr)") }
    }
    writer.terminate()
    writer.waitUntilExit()
    #expect(writer.terminationStatus == 0)
    let total = Int((try String(contentsOfFile: dir.path + "/writer.pid.count", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    #expect(total > 0)
    // Two more runs after the writer stopped: the last renamed/closed files are archived.
    for _ in 0..<2 {
      let result = try CLI.run(["run", "--policy", dir.path + "/policy.yaml"], in: dir)
      if result.status != 0 { failures.append("final run: status \(result.status): \(result.stderr)") }
    }
    #expect(failures.isEmpty, "\(failures.prefix(3))")

    var seen = [UInt8](repeating: 0, count: total)
    var archives = 0
    var broken: [String] = []
    func account(_ text: String) {
      for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
        guard line.hasPrefix("n="), let space = line.firstIndex(of: " "), let n = Int(line[line.index(line.startIndex, offsetBy: 2)..<space]),
          n >= 0, n < total, String(line) == expectedLine(n)
        else {
          if broken.count < 5 { broken.append(String(line.prefix(60))) }
          continue
        }
        seen[n] &+= 1
      }
    }
    for name in RetentionCLI.list(dir.path + "/archive") {
      #expect(!name.hasPrefix("."), "left behind: \(name)")
      archives += 1
      account(try RetentionCLI.gunzip(dir.path + "/archive/" + name))
    }
    for name in RetentionCLI.list(logs) {
      account(try String(contentsOfFile: logs + "/" + name, encoding: .utf8))
    }
    let missing = seen.indices.filter { seen[$0] == 0 }
    let doubled = seen.indices.filter { seen[$0] > 1 }
    #expect(broken.isEmpty, "\(mode): broken lines: \(broken)")
    #expect(missing.isEmpty, "\(mode): \(missing.count) lines lost, first \(missing.prefix(5))")
    #expect(doubled.isEmpty, "\(mode): \(doubled.count) lines doubled, first \(doubled.prefix(5))")
    #expect(archives >= 2, "\(mode): only \(archives) archives in \(runs) runs")
    if missing.isEmpty && doubled.isEmpty && broken.isEmpty {
      print("live writer (\(mode)): \(total) lines at \(rate)/s, \(runs) runs, \(archives) archives; every line exactly once")
    }
  }
}
