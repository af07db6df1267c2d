"""Live leading: the controller that paces the drone to the person, and the rehearsal."""
