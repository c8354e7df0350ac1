#!/usr/bin/env bash
# Captures route-server console output for the parser fixtures (fixtures/routeserver/).
#
#   scripts/capture-routeserver-fixtures.sh frr [OUT_DIR]             FRR bgpd of this machine, read with vtysh
#   scripts/capture-routeserver-fixtures.sh quagga BGPD [OUT_DIR]     a Quagga bgpd built from source (its libtool
#                                                                      wrapper bgpd/bgpd), read over its telnet vty
#
# The bgpd under test (AS 65000, router-id 10.0.0.1) runs alone on loopback and learns routes from a BIRD (eBGP,
# AS 65001) and an ExaBGP with two sessions (eBGP AS 65002: AS_SET, 4-octet AS, well-known communities, IPv6;
# iBGP AS 65000: LOCAL_PREF, an empty AS_PATH); it originates 10.1.0.0/16 and 2001:db8:1::/48 itself.
# Next hops are 10.255.0.x: FRR treats loopback next hops as martian.
# Paths are listed newest first, so the speakers that carry the preferred paths start first and BIRD last:
# 192.0.2.0/24 and 198.51.100.0/24 then show best #2. 192.0.2.128/25 is flapped until dampening suppresses it
# (no best path).
#
# Needs bird, birdc, exabgp, python3 (and vtysh for FRR). Stops every process it started, by pid;
# KEEP_WORK=1 keeps the temporary directory with the daemons' configs and logs.
set -euo pipefail

KIND=${1:?usage: $0 frr|quagga [BGPD] [OUT_DIR]}
case $KIND in
  frr) BGPD=/usr/lib/frr/bgpd; OUT=${2:-fixtures/routeserver/frr-8.4} ;;
  quagga) BGPD=${2:?quagga needs the path of its bgpd}; OUT=${3:-fixtures/routeserver/quagga-1.2} ;;
  *) echo "unknown kind $KIND" >&2; exit 2 ;;
esac
BGPD=$(realpath "$BGPD")
FRR_ADDR=127.0.91.1
BIRD_ADDR=127.0.91.2
EXA_EBGP_ADDR=127.0.91.3
EXA_IBGP_ADDR=127.0.92.1
VTY_PASSWORD=frub

WORK=$(mktemp -d /tmp/capture-routeserver.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  # the libtool wrapper of a source-built bgpd execs the daemon; its pid file names the daemon itself
  [[ -f $WORK/bgpd.pid ]] && kill "$(cat "$WORK/bgpd.pid")" 2>/dev/null || true
  sleep 0.5
  if [[ -n ${KEEP_WORK:-} ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1"
}
BGP_PORT=$(free_port $FRR_ADDR)
BIRD_PORT=$(free_port $BIRD_ADDR)
VTY_PORT=$(free_port 127.0.0.1)

# A minimal telnet vty client: saves the banner (vty-banner.txt), logs in, turns paging off, runs each command and
# writes its output (without the echoed command line and the closing prompt, line ends as sent) to a file. Telnet
# option bytes are dropped.
cat >"$WORK/vty.py" <<'EOF'
import re, socket, sys

host, port, password, outdir, *pairs = sys.argv[1:]
sock = socket.create_connection((host, int(port)), timeout=20)
PROMPT = re.compile(rb'(?:^|\n)[\w.-]+[>#] $')

def strip_iac(data):
    out, i = bytearray(), 0
    while i < len(data):
        if data[i] == 255 and i + 1 < len(data):
            cmd = data[i + 1]
            if cmd == 255: out.append(255); i += 2
            elif cmd == 250:
                end = data.find(b'\xff\xf0', i)
                i = len(data) if end < 0 else end + 2
            elif 251 <= cmd <= 254: i += 3
            else: i += 2
        else:
            out.append(data[i]); i += 1
    return bytes(out)

def read_until(pattern):
    buf = b''
    while True:
        chunk = sock.recv(65536)
        if not chunk: raise SystemExit('vty closed the connection')
        buf += chunk
        text = strip_iac(buf)
        if pattern.search(text): return text

banner = read_until(re.compile(rb'Password: ?$'))
with open(f'{outdir}/vty-banner.txt', 'wb') as f: f.write(banner[:banner.rindex(b'Password:')])
sock.sendall(password.encode() + b'\n')
read_until(PROMPT)
sock.sendall(b'terminal length 0\n')
read_until(PROMPT)
for name, command in zip(pairs[::2], pairs[1::2]):
    sock.sendall(command.encode() + b'\n')
    text = read_until(PROMPT)
    text = text[text.index(b'\n') + 1:]          # the echoed command line
    text = PROMPT.sub(b'\n', text)                # the prompt that ends the output
    text = text[:-1] if text.endswith(b'\n') else text
    with open(f'{outdir}/{name}', 'wb') as f: f.write(text)
EOF

# run_commands FILE COMMAND [FILE COMMAND ...] into $CAPTURE_DIR
run_commands() {
  if [[ $KIND == frr ]]; then
    while (($#)); do
      vtysh --vty_socket "$WORK" -d bgpd -c "$2" >"$CAPTURE_DIR/$1" 2>&1 || true
      shift 2
    done
  else
    python3 "$WORK/vty.py" 127.0.0.1 "$VTY_PORT" "$VTY_PASSWORD" "$CAPTURE_DIR" "$@"
  fi
}

# IPv4 prefixes received from one neighbor (0 until the session is up). FRR says it in JSON; Quagga in the last
# column of its summary line.
received() {
  if [[ $KIND == frr ]]; then
    vtysh --vty_socket "$WORK" -d bgpd -c "show bgp neighbors $1 json" 2>/dev/null | python3 -c '
import json, sys
n = json.load(sys.stdin).get(sys.argv[1], {})
print(n.get("addressFamilyInfo", {}).get("ipv4Unicast", {}).get("acceptedPrefixCounter", 0))' "$1" 2>/dev/null || echo 0
    return
  fi
  CAPTURE_DIR=$WORK run_commands summary.txt 'show ip bgp summary' >/dev/null 2>&1 || true
  local n
  n=$(awk -v a="$1" '{ sub(/\r$/, "") } $1 == a { print $NF }' "$WORK/summary.txt" 2>/dev/null || true)
  if [[ $n =~ ^[0-9]+$ ]]; then echo "$n"; else echo 0; fi
}

# Waits up to $2 seconds for `$1` (a shell condition) to hold.
wait_for() {
  local i
  for ((i = 0; i < $2 * 2; i++)); do
    if eval "$1"; then return 0; fi
    sleep 0.5
  done
  echo "timed out waiting for: $1" >&2
  return 1
}

if [[ $KIND == frr ]]; then
  PREAMBLE="frr defaults traditional
log file $WORK/bgpd.log errors"
  POLICY=" no bgp ebgp-requires-policy
 no bgp network import-check"
else
  PREAMBLE="log file $WORK/bgpd.log errors"
  POLICY=""
fi
cat >"$WORK/bgpd.conf" <<EOF
hostname rs
password $VTY_PASSWORD
$PREAMBLE
router bgp 65000
 bgp router-id 10.0.0.1
$POLICY
 no bgp default ipv4-unicast
 neighbor $BIRD_ADDR remote-as 65001
 neighbor $BIRD_ADDR passive
 neighbor $BIRD_ADDR ebgp-multihop 2
 neighbor $BIRD_ADDR update-source $FRR_ADDR
 neighbor $EXA_EBGP_ADDR remote-as 65002
 neighbor $EXA_EBGP_ADDR passive
 neighbor $EXA_EBGP_ADDR ebgp-multihop 2
 neighbor $EXA_EBGP_ADDR update-source $FRR_ADDR
 neighbor $EXA_IBGP_ADDR remote-as 65000
 neighbor $EXA_IBGP_ADDR passive
 neighbor $EXA_IBGP_ADDR update-source $FRR_ADDR
 address-family ipv4 unicast
  network 10.1.0.0/16
  bgp dampening 1 750 2000 60
  neighbor $BIRD_ADDR activate
  neighbor $EXA_EBGP_ADDR activate
  neighbor $EXA_IBGP_ADDR activate
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:1::/48
  neighbor $EXA_EBGP_ADDR activate
  neighbor $EXA_IBGP_ADDR activate
 exit-address-family
EOF

if [[ $KIND == frr ]]; then
  "$BGPD" -f "$WORK/bgpd.conf" -i "$WORK/bgpd.pid" --vty_socket "$WORK" -A 127.0.0.1 -P "$VTY_PORT" \
    -p "$BGP_PORT" -l "$FRR_ADDR" -n -Z -S >"$WORK/bgpd.stdout" 2>&1 &
else
  "$BGPD" -f "$WORK/bgpd.conf" -i "$WORK/bgpd.pid" -z "$WORK/zserv.api" -A 127.0.0.1 -P "$VTY_PORT" \
    -p "$BGP_PORT" -l "$FRR_ADDR" -n -S >"$WORK/bgpd.stdout" 2>&1 &
fi
PIDS+=($!)
wait_for 'CAPTURE_DIR=$WORK run_commands probe.txt "show version" >/dev/null 2>&1 && grep -q "opyright" "$WORK/probe.txt"' 10

# ExaBGP: communities given as numbers so that the well-known ones are exactly the values we test for.
cat >"$WORK/exabgp.conf" <<EOF
neighbor $FRR_ADDR {
  router-id $EXA_EBGP_ADDR;
  local-address $EXA_EBGP_ADDR;
  local-as 65002;
  peer-as 65000;
  hold-time 30;
  family { ipv4 unicast; ipv6 unicast; }
  static {
    route 198.51.100.0/24 next-hop 10.255.0.3 origin igp as-path [ 65002 ] med 10 community [ 65002:10 ];
    route 203.0.113.0/24 next-hop 10.255.0.3 origin egp as-path [ 65002 4200000001 ( 64511 64512 ) ] community [ 65002:1 65535:65281 65535:65282 65535:65283 65535:65284 ];
    route 10.1.1.0/24 next-hop 10.255.0.3 origin igp as-path [ 65002 64513 ];
    route 2001:db8:100::/48 next-hop 2001:db8:ffff::3 origin igp as-path [ 65002 64520 ] med 20 community [ 65002:6 65535:0 65535:1 65535:6 65535:7 65535:666 ] large-community [ 65002:6:1 4200000001:2:3 ];
    route 2001:db8:1:2::/64 next-hop 2001:db8:ffff::3 origin incomplete as-path [ 65002 ];
  }
}
neighbor $FRR_ADDR {
  router-id $EXA_IBGP_ADDR;
  local-address $EXA_IBGP_ADDR;
  local-as 65000;
  peer-as 65000;
  hold-time 30;
  family { ipv4 unicast; ipv6 unicast; }
  static {
    route 192.0.2.0/24 next-hop 10.255.0.92 origin igp as-path [ 64530 ] med 5 local-preference 200 community [ 65000:200 ];
    route 100.64.0.0/24 next-hop 10.255.0.92 origin incomplete as-path [ ] local-preference 300;
    route 10.1.2.0/24 next-hop 10.255.0.92 origin igp as-path [ 64531 ] local-preference 100;
    route 2001:db8:100::/48 next-hop 2001:db8:ffff::92 origin igp as-path [ 64532 ] local-preference 150 large-community [ 65000:1:1 ];
  }
}
EOF
env exabgp.daemon.user="$(id -un)" exabgp.daemon.daemonize=false exabgp.tcp.bind='' \
  exabgp.tcp.port="$BGP_PORT" exabgp.log.destination="$WORK/exabgp.log" exabgp.api.cli=false \
  exabgp "$WORK/exabgp.conf" >"$WORK/exabgp.stdout" 2>&1 &
PIDS+=($!)
wait_for '[[ $(received $EXA_EBGP_ADDR) -ge 3 && $(received $EXA_IBGP_ADDR) -ge 3 ]]' 30
sleep 2 # the IPv6 routes (counted in the IPv6 summary) come with the same burst

# BIRD last: its paths are the newest, listed first, and lose (longer AS_PATH, or LOCAL_PREF 100 < 200).
cat >"$WORK/bird.conf" <<EOF
log "$WORK/bird.log" all;
router id $BIRD_ADDR;
protocol device { scan time 60; }
protocol static s4 {
  ipv4;
  route 192.0.2.0/24 blackhole;
  route 198.51.100.0/24 blackhole;
  route 10.1.2.0/24 blackhole;
  route 10.1.2.128/25 blackhole;
}
protocol static flap4 {
  ipv4;
  route 192.0.2.128/25 blackhole;
}
filter to_frr {
  bgp_next_hop = 10.255.0.2;
  if net = 192.0.2.0/24 then {
    bgp_path.prepend(64501); bgp_path.prepend(64500);
    bgp_med = 50;
    bgp_community.add((65001,100)); bgp_community.add((65535,65281));
    bgp_large_community.add((65001,1,2)); bgp_large_community.add((65001,3,4));
    accept;
  }
  if net = 198.51.100.0/24 then { bgp_path.prepend(64502); accept; }
  if net = 10.1.2.128/25 then { bgp_origin = ORIGIN_INCOMPLETE; accept; }
  accept;
}
protocol bgp frr {
  local $BIRD_ADDR port $BIRD_PORT as 65001;
  neighbor $FRR_ADDR port $BGP_PORT as 65000;
  multihop 2;
  hold time 30;
  connect retry time 1;
  connect delay time 1;
  ipv4 { import none; export filter to_frr; };
}
EOF
bird -f -c "$WORK/bird.conf" -s "$WORK/bird.ctl" -P "$WORK/bird.pid" >"$WORK/bird.stdout" 2>&1 &
PIDS+=($!)
wait_for '[[ $(received $BIRD_ADDR) -ge 5 ]]' 30

# Flap 192.0.2.128/25 until dampening suppresses it (penalty 1000 a withdrawal, suppress at 2000).
for _ in 1 2 3; do
  birdc -s "$WORK/bird.ctl" disable flap4 >/dev/null
  sleep 1
  birdc -s "$WORK/bird.ctl" enable flap4 >/dev/null
  sleep 1
done
sleep 1

mkdir -p "$OUT"
CAPTURE_DIR=$OUT
COMMANDS=(
  show-version.txt 'show version'
  show-ip-bgp-192.0.2.1.txt 'show ip bgp 192.0.2.1'
  show-ip-bgp-198.51.100.7.txt 'show ip bgp 198.51.100.7'
  show-ip-bgp-203.0.113.9.txt 'show ip bgp 203.0.113.9'
  show-ip-bgp-10.1.0.1.txt 'show ip bgp 10.1.0.1'
  show-ip-bgp-100.64.0.1.txt 'show ip bgp 100.64.0.1'
  show-ip-bgp-192.0.2.129.txt 'show ip bgp 192.0.2.129'
  show-ip-bgp-not-in-table.txt 'show ip bgp 172.16.0.1'
  show-bgp-ipv6-2001-db8-100--1.txt 'show bgp ipv6 2001:db8:100::1'
  show-bgp-ipv6-2001-db8-1--1.txt 'show bgp ipv6 2001:db8:1::1'
  show-bgp-ipv6-not-in-table.txt 'show bgp ipv6 2001:db8:dead::1'
  show-ip-bgp-10.1.0.0-16-longer-prefixes.txt 'show ip bgp 10.1.0.0/16 longer-prefixes'
  show-ip-bgp-172.16.0.0-12-longer-prefixes.txt 'show ip bgp 172.16.0.0/12 longer-prefixes'
  show-bgp-ipv6-2001-db8---32-longer-prefixes.txt 'show bgp ipv6 2001:db8::/32 longer-prefixes'
  show-ip-bgp-unknown-command.txt 'show ip bgp frobnicate'
)
if [[ $KIND == frr ]]; then
  for a in 192.0.2.1 198.51.100.7 203.0.113.9 10.1.0.1 100.64.0.1 192.0.2.129 172.16.0.1; do
    COMMANDS+=("show-bgp-ipv4-unicast-$a-json.json" "show bgp ipv4 unicast $a json")
  done
  for a in 2001:db8:100::1 2001:db8:1::1 2001:db8:dead::1; do
    COMMANDS+=("show-bgp-ipv6-unicast-${a//:/-}-json.json" "show bgp ipv6 unicast $a json")
  done
  COMMANDS+=(
    show-bgp-ipv4-unicast-10.1.0.0-16-longer-prefixes-json.json 'show bgp ipv4 unicast 10.1.0.0/16 longer-prefixes json'
    show-bgp-ipv4-unicast-172.16.0.0-12-longer-prefixes-json.json 'show bgp ipv4 unicast 172.16.0.0/12 longer-prefixes json'
    show-bgp-ipv6-unicast-2001-db8---32-longer-prefixes-json.json 'show bgp ipv6 unicast 2001:db8::/32 longer-prefixes json'
  )
else
  COMMANDS+=(show-ipv6-bgp-2001-db8-100--1.txt 'show ipv6 bgp 2001:db8:100::1')
fi
run_commands "${COMMANDS[@]}"
# the telnet banner, which names the daemon and its version (Quagga's comes with its commands above)
[[ $KIND == frr ]] && python3 "$WORK/vty.py" 127.0.0.1 "$VTY_PORT" "$VTY_PASSWORD" "$OUT"
echo "captured into $OUT:"
ls "$OUT"
