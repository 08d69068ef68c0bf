# SPDX-License-Identifier: Apache-2.0
"""tests/integration/alert_scenario.py -- sends an alert scenario to metrics-ai by remote write
1.0 (protobuf encoded by hand, snappy literals only: standard library only).

usage: alert_scenario.py URL alerting|healthy

Three days of history at a 5-minute step, ending now, for catalogue signals:
  alerting: host02's "/" filling from 60% to 95% (past 90% now: 0 days, CRITICAL, whatever
            the models' weights) and host03's "/data" flat at 30% (OK); host02's sda utilisation
            climbing from 0.5 to 0.95 (an I/O crisis); host04's receive bandwidth and host05's iowait steady with noise, then a
            spike in the last 10 minutes (I/O+network and golden anomalies); host CPU and memory
            of eight similar nodes plus "pi", a busy host (memory 85%) with no pods (host
            pressure, and the odd one out for the classifier).
  healthy:  the two disks flat at 30% and 40%, sda utilisation flat at 0.2, and the bandwidth
            steady with the same noise and no spike.
"""
import math
import os
import struct
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from promwire import series, snappy  # noqa: E402

STEP_S = int(os.environ.get("SCENARIO_STEP_S", "300"))
HOURS = int(os.environ.get("SCENARIO_HOURS", "72"))


def noise(i, k):
    """Deterministic noise in [-1, 1]."""
    return math.sin(i * 12.9898 + k * 78.233) * 0.5 + math.sin(i * 4.1414 + k * 1.618) * 0.5


def main():
    url, mode = sys.argv[1], sys.argv[2]
    now_ms = int(time.time() // STEP_S * STEP_S * 1000)
    n = HOURS * 3600 // STEP_S
    times = [now_ms - (n - 1 - i) * STEP_S * 1000 for i in range(n)]
    frac = [i / (n - 1) for i in range(n)]
    alerting = mode == 'alerting'
    out = []

    def add(name, labels, values):
        lab = dict(labels)
        lab['__name__'] = name
        out.append(series(lab, list(zip(times, values))))

    disk = 'instance_mountpoint:metrics_ai_disk_usage:ratio'
    add(disk, {'instance': '192.168.10.82:9100', 'mountpoint': '/'},
        [0.60 + 0.35 * f + 0.004 * noise(i, 3) if alerting else 0.30 for i, f in enumerate(frac)])
    add(disk, {'instance': '192.168.10.83:9100', 'mountpoint': '/data'}, [0.30 if alerting else 0.40] * n)
    add('instance_device:metrics_ai_disk_io_util:ratio',
        {'instance': '192.168.10.82:9100', 'device': 'sda'},
        [0.5 + 0.45 * f + 0.004 * noise(i, 4) if alerting else 0.2 for i, f in enumerate(frac)])
    spike = lambda i: alerting and i >= n - 2
    add('instance:metrics_ai_net_rx_bw:bytes_per_second', {'instance': '192.168.10.84:9100'},
        [1e6 * (1 + 0.05 * noise(i, 1)) * (20 if spike(i) else 1) for i in range(n)])
    if alerting:
        add('instance:metrics_ai_cpu_iowait:ratio', {'instance': '192.168.10.85:9100'},
            [0.6 if spike(i) else 0.02 + 0.005 * noise(i, 2) for i in range(n)])
        for k in range(1, 9):
            inst = {'instance': '192.168.10.%d:9100' % (100 + k)}
            add('instance:metrics_ai_host_cpu:ratio', inst,
                [0.30 + 0.03 * noise(i, 10 + k) for i in range(n)])
            add('instance:metrics_ai_host_mem:ratio', inst,
                [0.40 + 0.03 * noise(i, 20 + k) for i in range(n)])
        inst = {'instance': '192.168.10.200:9100'}
        add('instance:metrics_ai_host_cpu:ratio', inst, [0.20 + 0.02 * noise(i, 30) for i in range(n)])
        add('instance:metrics_ai_host_mem:ratio', inst, [0.85 + 0.01 * noise(i, 31) for i in range(n)])
    for s in out:
        req = urllib.request.Request(url, data=snappy(s), method='POST', headers={
            'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy',
            'X-Prometheus-Remote-Write-Version': '0.1.0'})
        with urllib.request.urlopen(req, timeout=10) as r:
            if r.status != 204:
                sys.exit('remote write answered %d' % r.status)
    print('%d series, %d samples each' % (len(out), n))


main()
