// LibvirtHost's storage operations: the pool, the base volume and each node's volumes.
#include <libvirt/virterror.h>

#include <chrono>

#include "providers/libvirt/libvirt_host.h"

namespace nkd::providers::libvirt {

namespace {

// How long a delete waits for a volume that libvirtd is still building, and how often it looks.
constexpr std::chrono::seconds kBusyVolumeWait{30};
constexpr std::chrono::milliseconds kBusyVolumePoll{200};

// How much of an upload goes to libvirt per call.
constexpr std::size_t kUploadChunkBytes = 256 * 1024;

}  // namespace

Result<std::string> LibvirtHost::pool_type(const std::string& pool) {
  const auto started = clock_.steady_now();
  const StoragePoolPtr handle(virStoragePoolLookupByName(connection_.get(), pool.c_str()));
  if (!handle) {
    Error error =
        last_error("looking up storage pool '" + pool + "' on connection '" + name_ + "'");
    record("lookup_pool", error_code_name(error.code), started);
    return error;
  }
  const std::string xml = take_string(virStoragePoolGetXMLDesc(handle.get(), 0));
  if (xml.empty()) {
    Error error = last_error("reading storage pool '" + pool + "'");
    record("lookup_pool", error_code_name(error.code), started);
    return error;
  }
  record("lookup_pool", "ok", started);
  return first_attribute(xml, "pool", "type");
}

Result<StorageVolPtr> LibvirtHost::lookup_volume(const std::string& pool, const std::string& name) {
  const StoragePoolPtr handle(virStoragePoolLookupByName(connection_.get(), pool.c_str()));
  if (!handle) return last_error("looking up storage pool '" + pool + "'");
  StorageVolPtr volume(virStorageVolLookupByName(handle.get(), name.c_str()));
  if (!volume) return last_error("looking up volume '" + name + "' in pool '" + pool + "'");
  return volume;
}

Result<std::optional<Volume>> LibvirtHost::find_volume(const std::string& pool,
                                                       const std::string& name) {
  const auto started = clock_.steady_now();
  const StoragePoolPtr handle(virStoragePoolLookupByName(connection_.get(), pool.c_str()));
  if (!handle) {
    Error error =
        last_error("looking up storage pool '" + pool + "' on connection '" + name_ + "'");
    record("lookup_volume", error_code_name(error.code), started);
    return error;
  }
  const StorageVolPtr volume(virStorageVolLookupByName(handle.get(), name.c_str()));
  if (!volume) {
    if (last_error_is(VIR_ERR_NO_STORAGE_VOL)) {
      virResetLastError();
      record("lookup_volume", "ok", started);
      return std::optional<Volume>();
    }
    Error error = last_error("looking up volume '" + name + "' in pool '" + pool + "'");
    record("lookup_volume", error_code_name(error.code), started);
    return error;
  }
  Volume found{.name = name, .path = take_string(virStorageVolGetPath(volume.get()))};
  const std::string xml = take_string(virStorageVolGetXMLDesc(volume.get(), 0));
  if (found.path.empty() || xml.empty()) {
    Error error = last_error("reading volume '" + name + "' of pool '" + pool + "'");
    record("lookup_volume", error_code_name(error.code), started);
    return error;
  }
  // The first <format> is the volume's own (in <target>), before any backing store's.
  found.format = first_attribute(xml, "format", "type");
  virStorageVolInfo info{};
  if (virStorageVolGetInfo(volume.get(), &info) == 0) found.capacity_bytes = info.capacity;
  record("lookup_volume", "ok", started);
  return std::optional<Volume>(std::move(found));
}

Status LibvirtHost::create_volume(const std::string& pool, const std::string& xml) {
  const auto started = clock_.steady_now();
  Status status = ok_status();
  const StoragePoolPtr handle(virStoragePoolLookupByName(connection_.get(), pool.c_str()));
  if (!handle) {
    status = last_error("looking up storage pool '" + pool + "'");
  } else if (StorageVolPtr made(virStorageVolCreateXML(handle.get(), xml.c_str(), 0)); !made) {
    status = last_error("creating a volume in pool '" + pool + "'");
  }
  record("create_volume", outcome_label(status), started);
  return status;
}

Status LibvirtHost::clone_volume(const std::string& pool, const std::string& xml,
                                 const std::string& source) {
  const auto started = clock_.steady_now();
  Status status = ok_status();
  const StoragePoolPtr handle(virStoragePoolLookupByName(connection_.get(), pool.c_str()));
  Result<StorageVolPtr> from = lookup_volume(pool, source);
  if (!handle) {
    status = last_error("looking up storage pool '" + pool + "'");
  } else if (!from) {
    status = from.error();
  } else if (StorageVolPtr made(
                 virStorageVolCreateXMLFrom(handle.get(), xml.c_str(), from->get(), 0));
             !made) {
    status = last_error("copying volume '" + source + "' in pool '" + pool + "'");
  }
  record("clone_volume", outcome_label(status), started);
  return status;
}

Status LibvirtHost::resize_volume(const std::string& pool, const std::string& name,
                                  std::uint64_t capacity_bytes) {
  const auto started = clock_.steady_now();
  Status status = ok_status();
  Result<StorageVolPtr> volume = lookup_volume(pool, name);
  if (!volume) {
    status = volume.error();
  } else if (virStorageVolResize(volume->get(), capacity_bytes, 0) < 0) {
    status = last_error("resizing volume '" + name + "' to " + std::to_string(capacity_bytes) +
                        " bytes");
  }
  record("resize_volume", outcome_label(status), started);
  return status;
}

Status LibvirtHost::upload(const std::string& pool, const std::string& name,
                           const std::string& content) {
  const auto started = clock_.steady_now();
  auto fail = [&](Error error) -> Status {
    record("upload_volume", error_code_name(error.code), started);
    return error;
  };
  NKD_ASSIGN_OR_RETURN(StorageVolPtr volume, lookup_volume(pool, name));
  const StreamPtr stream(virStreamNew(connection_.get(), 0));
  if (!stream) return fail(last_error("opening a stream to volume '" + name + "'"));
  if (virStorageVolUpload(volume.get(), stream.get(), 0, content.size(), 0) < 0) {
    return fail(last_error("uploading to volume '" + name + "' of pool '" + pool + "'"));
  }
  for (std::size_t sent = 0; sent < content.size();) {
    const std::size_t chunk = std::min(kUploadChunkBytes, content.size() - sent);
    const int written = virStreamSend(stream.get(), content.data() + sent, chunk);
    if (written < 0) {
      Error error = last_error("uploading to volume '" + name + "'");
      virStreamAbort(stream.get());
      return fail(std::move(error));
    }
    sent += static_cast<std::size_t>(written);
  }
  if (virStreamFinish(stream.get()) < 0) {
    return fail(last_error("finishing the upload to volume '" + name + "'"));
  }
  record("upload_volume", "ok", started);
  return ok_status();
}

Status LibvirtHost::delete_volume(const std::string& pool, const std::string& name) {
  const auto started = clock_.steady_now();
  Status status = ok_status();
  Result<StorageVolPtr> volume = lookup_volume(pool, name);
  if (!volume) {
    if (volume.error().code != ErrorCode::kNotFound) status = volume.error();
  } else {
    // A volume whose create is still under way (the client that asked for it, such as an nkd
    // killed half-way, is gone; libvirtd finishes the job) cannot be deleted until it is built.
    const auto deadline = started + kBusyVolumeWait;
    while (virStorageVolDelete(volume->get(), 0) < 0) {
      const bool building = last_error_is(VIR_ERR_OPERATION_INVALID);
      if (!building || clock_.steady_now() >= deadline) {
        status = last_error("deleting volume '" + name + "' of pool '" + pool + "'");
        if (building) status = status.error().with_retry(Retry::transient());
        break;
      }
      virResetLastError();
      clock_.sleep_for(kBusyVolumePoll);
    }
  }
  record("delete_volume", outcome_label(status), started);
  return status;
}

Status LibvirtHost::delete_volume_at(const std::string& path) {
  const auto started = clock_.steady_now();
  Status status = ok_status();
  const StorageVolPtr volume(virStorageVolLookupByPath(connection_.get(), path.c_str()));
  if (!volume) {
    if (last_error_is(VIR_ERR_NO_STORAGE_VOL)) {
      virResetLastError();
    } else {
      status = last_error("looking up the volume at " + path);
    }
  } else if (virStorageVolDelete(volume.get(), 0) < 0) {
    status = last_error("deleting the volume at " + path);
  }
  record("delete_volume", outcome_label(status), started);
  return status;
}

}  // namespace nkd::providers::libvirt
