import MediaEdge
print(Client.libraryVersion)
