//! Service cluster IPs and node ports: allocated on create, kept on update, released on delete,
//! conflicts rejected with upstream's messages. The state is rebuilt from the stored Services at
//! start-up and kept in memory (one API server owns the datastore).

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::api::field::{FieldError, Path};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Cidr {
    pub base: Ipv4Addr,
    pub prefix: u8,
}

impl Ipv4Cidr {
    pub fn parse(s: &str) -> Option<Self> {
        let (ip, prefix) = s.split_once('/')?;
        let base: Ipv4Addr = ip.parse().ok()?;
        let prefix: u8 = prefix.parse().ok().filter(|p| *p <= 30)?;
        let mask = u32::MAX.checked_shl(32 - prefix as u32).unwrap_or(0);
        Some(Ipv4Cidr {
            base: Ipv4Addr::from(u32::from(base) & mask),
            prefix,
        })
    }

    pub fn size(&self) -> u32 {
        1u32 << (32 - self.prefix as u32)
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let offset = u32::from(ip).wrapping_sub(u32::from(self.base));
        offset < self.size()
    }

    /// The n-th address of the range (`10.43.0.0/16`, 10 → `10.43.0.10`).
    pub fn nth(&self, n: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.base) + n)
    }
}

impl std::fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

#[derive(Debug)]
struct State {
    ips: HashSet<u32>,
    ports: HashSet<u16>,
}

pub struct Allocators {
    cidr: Ipv4Cidr,
    ports: (u16, u16),
    state: Mutex<State>,
}

/// What one write allocated, to undo if the write fails.
#[derive(Default, Debug)]
pub struct Allocated {
    ips: Vec<Ipv4Addr>,
    ports: Vec<u16>,
}

impl Allocators {
    pub fn new(cidr: Ipv4Cidr, ports: (u16, u16)) -> Self {
        Allocators {
            cidr,
            ports,
            state: Mutex::new(State {
                ips: HashSet::new(),
                ports: HashSet::new(),
            }),
        }
    }

    pub fn cidr(&self) -> Ipv4Cidr {
        self.cidr
    }

    /// Marks what stored Services use (at start-up).
    pub fn load(&self, services: &[Value]) {
        let mut st = self.state.lock().expect("allocator lock poisoned");
        for svc in services {
            for ip in cluster_ips(svc) {
                if let Ok(ip) = ip.parse::<Ipv4Addr>() {
                    st.ips.insert(u32::from(ip));
                }
            }
            for port in node_ports(svc) {
                st.ports.insert(port);
            }
        }
    }

    pub fn release(&self, svc: &Value) {
        let mut st = self.state.lock().expect("allocator lock poisoned");
        for ip in cluster_ips(svc) {
            if let Ok(ip) = ip.parse::<Ipv4Addr>() {
                st.ips.remove(&u32::from(ip));
            }
        }
        for port in node_ports(svc) {
            st.ports.remove(&port);
        }
    }

    pub fn undo(&self, allocated: Allocated) {
        let mut st = self.state.lock().expect("allocator lock poisoned");
        for ip in allocated.ips {
            st.ips.remove(&u32::from(ip));
        }
        for port in allocated.ports {
            st.ports.remove(&port);
        }
    }

    /// Fills and reserves the cluster IP and node ports of a Service being created or updated.
    /// On error nothing stays reserved.
    pub fn assign(
        &self,
        svc: &mut Value,
        old: Option<&Value>,
    ) -> Result<Allocated, Vec<FieldError>> {
        let mut allocated = Allocated::default();
        let result = self.assign_inner(svc, old, &mut allocated);
        match result {
            Ok(()) => Ok(allocated),
            Err(errs) => {
                self.undo(allocated);
                Err(errs)
            }
        }
    }

    fn assign_inner(
        &self,
        svc: &mut Value,
        old: Option<&Value>,
        allocated: &mut Allocated,
    ) -> Result<(), Vec<FieldError>> {
        let spec_path = Path::new("spec");
        if !svc.get("spec").is_some_and(Value::is_object) {
            svc["spec"] = json!({});
        }
        let ty = svc["spec"]["type"]
            .as_str()
            .unwrap_or("ClusterIP")
            .to_owned();
        let mut st = self.state.lock().expect("allocator lock poisoned");

        // Cluster IP: kept from the old object, reserved if chosen, allocated otherwise.
        let old_ips: Vec<String> = old.map(cluster_ips).unwrap_or_default();
        if ty == "ExternalName" {
            // No cluster IP; upstream releases a previous one.
        } else {
            let mut ip = svc["spec"]["clusterIP"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if ip.is_empty() {
                if let Some(first) = svc["spec"]["clusterIPs"]
                    .as_array()
                    .and_then(|a| a.first())
                    .and_then(Value::as_str)
                {
                    ip = first.to_owned();
                }
            }
            if ip.is_empty() && !old_ips.is_empty() {
                ip = old_ips[0].clone();
            }
            if ip.is_empty() {
                let chosen = self.allocate_ip(&mut st).ok_or_else(|| {
                    vec![FieldError::internal(
                        spec_path.child("clusterIPs"),
                        "failed to allocate a serviceIP: range is full",
                    )]
                })?;
                allocated.ips.push(chosen);
                ip = chosen.to_string();
            } else if ip != "None" && !old_ips.contains(&ip) {
                let field = spec_path.child("clusterIPs").index(0);
                let parsed: Ipv4Addr = ip.parse().map_err(|_| {
                    vec![FieldError::invalid(
                        field.clone(),
                        ip.clone(),
                        "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                    )]
                })?;
                if !self.cidr.contains(parsed)
                    || parsed == self.cidr.base
                    || parsed == self.cidr.nth(self.cidr.size() - 1)
                {
                    return Err(vec![FieldError::invalid(
                        field,
                        json!([ip]),
                        format!(
                            "failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is {}",
                            self.cidr
                        ),
                    )]);
                }
                if !st.ips.insert(u32::from(parsed)) {
                    return Err(vec![FieldError::invalid(
                        field,
                        json!([ip]),
                        format!("failed to allocate IP {ip}: provided IP is already allocated"),
                    )]);
                }
                allocated.ips.push(parsed);
            }
            svc["spec"]["clusterIP"] = json!(ip);
            svc["spec"]["clusterIPs"] = json!([ip]);
            if svc["spec"].get("ipFamilies").is_none_or(Value::is_null) {
                svc["spec"]["ipFamilies"] = json!(["IPv4"]);
            }
            if svc["spec"].get("ipFamilyPolicy").is_none_or(Value::is_null) {
                svc["spec"]["ipFamilyPolicy"] = json!("SingleStack");
            }
        }

        // Node ports.
        let wants_node_ports = ty == "NodePort" || ty == "LoadBalancer";
        let old_ports: Vec<(i64, String, u16)> = old
            .and_then(|o| o["spec"]["ports"].as_array())
            .into_iter()
            .flatten()
            .filter_map(|p| {
                Some((
                    p["port"].as_i64()?,
                    p["protocol"].as_str().unwrap_or("TCP").to_owned(),
                    u16::try_from(p["nodePort"].as_i64()?).ok()?,
                ))
            })
            .collect();
        let old_node_ports: HashSet<u16> = old_ports.iter().map(|p| p.2).collect();
        let mut errors = Vec::new();
        if let Some(ports) = svc["spec"]["ports"].as_array_mut() {
            for (i, p) in ports.iter_mut().enumerate() {
                let field = spec_path.child("ports").index(i).child("nodePort");
                if !wants_node_ports {
                    if let Some(o) = p.as_object_mut() {
                        // Upstream drops node ports left over from a NodePort type.
                        if old.is_some() {
                            o.remove("nodePort");
                        }
                    }
                    continue;
                }
                let port = p["port"].as_i64().unwrap_or_default();
                let proto = p["protocol"].as_str().unwrap_or("TCP").to_owned();
                let requested = p["nodePort"].as_i64().unwrap_or(0);
                if requested == 0 {
                    let kept = old_ports
                        .iter()
                        .find(|(op, opr, _)| *op == port && *opr == proto)
                        .map(|x| x.2);
                    let chosen = match kept {
                        Some(k) => k,
                        None => match self.allocate_port(&mut st) {
                            Some(c) => {
                                allocated.ports.push(c);
                                c
                            }
                            None => {
                                errors.push(FieldError::internal(
                                    field,
                                    "failed to allocate a nodePort: range is full",
                                ));
                                continue;
                            }
                        },
                    };
                    p["nodePort"] = json!(chosen);
                } else {
                    let Ok(n) = u16::try_from(requested) else {
                        errors.push(FieldError::invalid(
                            field,
                            requested,
                            "provided port is not in the valid range",
                        ));
                        continue;
                    };
                    if old_node_ports.contains(&n) || allocated.ports.contains(&n) {
                        continue;
                    }
                    if n < self.ports.0 || n > self.ports.1 {
                        errors.push(FieldError::invalid(
                            field,
                            requested,
                            format!(
                                "provided port is not in the valid range. The range of valid ports is {}-{}",
                                self.ports.0, self.ports.1
                            ),
                        ));
                    } else if !st.ports.insert(n) {
                        errors.push(FieldError::invalid(
                            field,
                            requested,
                            "provided port is already allocated",
                        ));
                    } else {
                        allocated.ports.push(n);
                    }
                }
            }
        }
        if !errors.is_empty() {
            drop(st);
            return Err(errors);
        }
        Ok(())
    }

    /// Releases what `old` held and `new` no longer does (after a successful update).
    pub fn release_dropped(&self, new: &Value, old: &Value) {
        let mut st = self.state.lock().expect("allocator lock poisoned");
        let new_ips = cluster_ips(new);
        for ip in cluster_ips(old) {
            if !new_ips.contains(&ip) {
                if let Ok(ip) = ip.parse::<Ipv4Addr>() {
                    st.ips.remove(&u32::from(ip));
                }
            }
        }
        let new_ports = node_ports(new);
        for p in node_ports(old) {
            if !new_ports.contains(&p) {
                st.ports.remove(&p);
            }
        }
    }

    /// Dynamic IPs come from above the static band (upstream reserves the lowest 1/16th, between 16
    /// and 256 addresses, for IPs chosen by users, like the DNS service's .10).
    fn allocate_ip(&self, st: &mut State) -> Option<Ipv4Addr> {
        let size = self.cidr.size();
        let band = (size / 16).clamp(16, 256).min(size / 2);
        let usable = |n: u32| n != 0 && n != size - 1;
        let dynamic = size.saturating_sub(band);
        let start = fastrand::u32(..dynamic.max(1));
        for i in 0..dynamic {
            let n = band + (start + i) % dynamic;
            if usable(n) && st.ips.insert(u32::from(self.cidr.nth(n))) {
                return Some(self.cidr.nth(n));
            }
        }
        // Fall back to the static band when the dynamic part is full.
        (1..band)
            .find(|&n| usable(n) && st.ips.insert(u32::from(self.cidr.nth(n))))
            .map(|n| self.cidr.nth(n))
    }

    fn allocate_port(&self, st: &mut State) -> Option<u16> {
        let (lo, hi) = self.ports;
        let span = (hi - lo) as u32 + 1;
        let start = fastrand::u32(..span);
        (0..span)
            .map(|i| lo + ((start + i) % span) as u16)
            .find(|&p| st.ports.insert(p))
    }
}

fn cluster_ips(svc: &Value) -> Vec<String> {
    let mut ips: Vec<String> = svc["spec"]["clusterIPs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    if let Some(ip) = svc["spec"]["clusterIP"].as_str() {
        if !ips.iter().any(|i| i == ip) {
            ips.push(ip.to_owned());
        }
    }
    ips.retain(|ip| !ip.is_empty() && ip != "None");
    ips
}

fn node_ports(svc: &Value) -> Vec<u16> {
    svc["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["nodePort"].as_i64())
        .filter_map(|n| u16::try_from(n).ok())
        .filter(|n| *n != 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc() -> Allocators {
        Allocators::new(Ipv4Cidr::parse("10.43.0.0/16").unwrap(), (30000, 32767))
    }

    #[test]
    fn cidr_math() {
        let c = Ipv4Cidr::parse("10.43.7.9/16").unwrap();
        assert_eq!(c.to_string(), "10.43.0.0/16");
        assert_eq!(c.nth(10), Ipv4Addr::new(10, 43, 0, 10));
        assert!(c.contains(Ipv4Addr::new(10, 43, 255, 255)));
        assert!(!c.contains(Ipv4Addr::new(10, 44, 0, 0)));
    }

    #[test]
    fn allocates_and_rejects_conflicts() {
        let a = alloc();
        let mut s1 =
            json!({"spec": {"type": "NodePort", "ports": [{"port": 80, "protocol": "TCP"}]}});
        a.assign(&mut s1, None).unwrap();
        let ip = s1["spec"]["clusterIP"].as_str().unwrap().to_owned();
        let ip_addr: Ipv4Addr = ip.parse().unwrap();
        assert!(a.cidr().contains(ip_addr));
        assert!(
            u32::from(ip_addr) - u32::from(a.cidr().base) >= 256,
            "dynamic IPs avoid the static band"
        );
        let port = s1["spec"]["ports"][0]["nodePort"].as_i64().unwrap();
        assert!((30000..=32767).contains(&port));

        let mut s2 = json!({"spec": {"clusterIP": ip, "ports": [{"port": 80}]}});
        let errs = a.assign(&mut s2, None).unwrap_err();
        assert_eq!(
            errs[0].to_string(),
            format!(
                "spec.clusterIPs[0]: Invalid value: [\"{ip}\"]: failed to allocate IP {ip}: provided IP is already allocated"
            )
        );
        let mut s3 =
            json!({"spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": port}]}});
        let errs = a.assign(&mut s3, None).unwrap_err();
        assert_eq!(
            errs[0].to_string(),
            format!(
                "spec.ports[0].nodePort: Invalid value: {port}: provided port is already allocated"
            )
        );
        let mut s4 = json!({"spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 80}]}});
        assert!(
            a.assign(&mut s4, None).unwrap_err()[0]
                .to_string()
                .contains("valid range")
        );
        // A failed assign keeps nothing: the static IP is still free.
        let mut dns = json!({"spec": {"clusterIP": "10.43.0.10", "ports": [{"port": 53}]}});
        a.assign(&mut dns, None).unwrap();

        // Update without clusterIP keeps the old one and the node port.
        let mut upd =
            json!({"spec": {"type": "NodePort", "ports": [{"port": 80, "protocol": "TCP"}]}});
        a.assign(&mut upd, Some(&s1)).unwrap();
        assert_eq!(upd["spec"]["clusterIP"], s1["spec"]["clusterIP"]);
        assert_eq!(upd["spec"]["ports"][0]["nodePort"], port);

        // Release frees both.
        a.release(&s1);
        let mut again = json!({"spec": {"clusterIP": ip, "type": "NodePort", "ports": [{"port": 80, "nodePort": port}]}});
        a.assign(&mut again, None).unwrap();
    }

    #[test]
    fn headless_and_external_name() {
        let a = alloc();
        let mut h = json!({"spec": {"clusterIP": "None", "ports": [{"port": 80}]}});
        a.assign(&mut h, None).unwrap();
        assert_eq!(h["spec"]["clusterIPs"], json!(["None"]));
        let mut e = json!({"spec": {"type": "ExternalName", "externalName": "example.com"}});
        a.assign(&mut e, None).unwrap();
        assert!(e["spec"].get("clusterIP").is_none());
    }
}
